"""One satisfaction-index analysis from raw survey data to decisions (no Django).

    model = read_model("bank.yaml")            # or template("china")
    analysis = analyse(read_table("wave3.xlsx"), model, bootstrap=1000, seed=7)
    analysis.to_dict()                         # the JSON the CLI writes and the web app keeps
    analysis.frames()                          # the tables of the Excel report

The CLI (`manyi index fit`), the web app's background task and notebooks all call
`analyse`, so a result is the same wherever it was computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import bootstrap as bootstrap_module
from .bootstrap import BootstrapResult
from .index import impacts, index_summary, index_weights, unstandardised_paths
from .ipma import QUADRANTS, ipma_constructs, ipma_items, priority_ranking, strategy_matrix
from .modelfile import IndexModel
from .pls import PathModel, PLSError, PLSResult, fit
from .pls import json_number as _num
from .priority import Costs, CostScale, FeasibilityScale, adjust_priority, read_costs
from .reliability import assess, flags, fornell_larcker, htmt_from_corr
from .survey import PreparedData, prepare

ENGINE_VERSION = "1"


@dataclass
class Analysis:
    model: IndexModel
    prepared: PreparedData
    result: PLSResult
    target: str | None
    reliability: pd.DataFrame
    htmt: pd.DataFrame
    index: pd.Series
    impacts: pd.DataFrame | None
    ipma_constructs: pd.DataFrame | None
    ipma_items: pd.DataFrame | None
    cuts: dict[str, float] = field(default_factory=dict)
    priority: pd.DataFrame | None = None
    boot: BootstrapResult | None = None
    paths_unstandardised: pd.DataFrame | None = None
    options: dict[str, Any] = field(default_factory=dict)
    language: str = "zh"
    # The priority table adjusted for the analyst's costs and capability (priority.py);
    # None when no costs were given. `priority` stays the ideal order.
    priority_adjusted: pd.DataFrame | None = None

    @property
    def flags(self) -> list[dict[str, str]]:
        return flags(self.result, self.reliability, self.htmt, self.language)

    def to_dict(self) -> dict[str, Any]:
        base = self.result.to_dict()
        reliability = {
            construct: {
                "alpha": _num(row["alpha"]),
                "rho_c": _num(row["rho_c"]),
                "rho_a": _num(row["rho_a"]),
                "ave": _num(row["ave"]),
                "fornell_larcker": bool(row["fornell_larcker"]),
            }
            for construct, row in self.reliability.iterrows()
        }
        htmt = {
            a: {b: _num(self.htmt.loc[a, b]) for b in self.htmt.columns if b != a}
            for a in self.htmt.index
        }
        out: dict[str, Any] = {
            "engine": f"manyi-pls {ENGINE_VERSION}",
            "model_name": self.model.name,
            "target": self.target,
            **base,
            "reliability": reliability,
            "fornell_larcker": _table(fornell_larcker(self.result)),
            "htmt": htmt,
            "flags": self.flags,
            "index": {k: _num(v) for k, v in self.index.items()},
            # Points of the target's 0-100 index per point of the source (direct effects).
            "paths_unstandardised": {
                s: {t: _num(self.paths_unstandardised.loc[s, t]) for t in targets}
                for s, targets in base["paths"].items()
            }
            if self.paths_unstandardised is not None
            else {},
            "labels": {c: self.model.label(c, self.language) for c in self.model.path_model.blocks},
            "item_labels": {i: self.model.item_label(i) for i in self.model.path_model.items},
            "data": self.prepared.report,
            "options": self.options,
        }
        if self.target and self.impacts is not None:
            column = self.impacts[self.target]
            out["impacts"] = {k: _num(v) for k, v in column.items() if abs(v) > 1e-12}
            out["ipma"] = {
                "cuts": self.cuts,
                "item_cuts": dict(self.priority.attrs.get("cuts", {})),
                "constructs": _records(self.ipma_constructs),
                "items": _records(self.ipma_items),
            }
            out["priority"] = _records(self.priority)
            if self.priority_adjusted is not None:
                out["priority_adjusted"] = {
                    **self.priority_adjusted.attrs.get("adjustment", {}),
                    "items": _records(self.priority_adjusted),
                }
        if self.boot is not None:
            out["bootstrap"] = self.boot.to_dict()
        return out

    def frames(self) -> dict[str, pd.DataFrame]:
        """The report's tables, one per sheet, in reading order."""
        frames: dict[str, pd.DataFrame] = {}
        frames["data"] = _data_frame(self.prepared.report)
        frames["validity"] = self.reliability.reset_index(names="construct")
        frames["flags"] = pd.DataFrame(self.flags, columns=["check", "where", "value", "message"])
        frames["htmt"] = self.htmt
        frames["fornell_larcker"] = fornell_larcker(self.result)
        frames["index"] = pd.DataFrame(
            {
                "label": [self.model.label(c, self.language) for c in self.index.index],
                "index": self.index,
            }
        ).rename_axis("construct")
        all_frames = self.result.to_frames()
        frames["paths"] = all_frames["paths"]
        frames["r2"] = all_frames["r2"]
        frames["outer"] = all_frames["outer"]
        frames["cross_loadings"] = all_frames["cross_loadings"]
        frames["f2"] = all_frames["f2"]
        frames["inner_vif"] = all_frames["inner_vif"]
        if self.ipma_constructs is not None:
            frames["ipma"] = self.ipma_constructs.reset_index()
            frames["ipma_items"] = self.ipma_items
            frames["priority"] = self.priority
        if self.boot is not None:
            frames["bootstrap"] = self.boot.table.reset_index()
        return frames


def _table(frame: pd.DataFrame) -> dict[str, dict[str, float | None]]:
    return {str(r): {str(c): _num(frame.loc[r, c]) for c in frame.columns} for r in frame.index}


def _records(frame: pd.DataFrame | None) -> list[dict[str, Any]]:
    if frame is None:
        return []
    out = []
    for row in frame.reset_index(drop=frame.index.name is None).to_dict(orient="records"):
        out.append(
            {
                k: (_num(v) if isinstance(v, (float, np.floating)) else _plain(v))
                for k, v in row.items()
            }
        )
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _data_frame(report: dict[str, Any]) -> pd.DataFrame:
    rows = [
        {"item": item, **{k: v for k, v in details.items()}}
        for item, details in report.get("items", {}).items()
    ]
    return pd.DataFrame(rows)


def analyse(
    data: pd.DataFrame,
    model: IndexModel,
    *,
    scheme: str | None = None,
    target: str | None = None,
    bootstrap: int = 0,
    seed: int = 0,
    missing: str | None = None,
    language: str = "zh",
    max_iter: int = 300,
    costs: Costs | None = None,
    cost_scale: CostScale = "rating",
    feasibility_scale: FeasibilityScale = "share",
) -> Analysis:
    """`costs` (item -> ItemCost or {"cost", "feasibility"}, on the given scales) adds the
    improvement order adjusted for cost and capability (priority.adjust_priority) beside
    the ideal one; it is checked before the model is fitted."""
    scheme = scheme or model.scheme
    target = target or model.target
    if target is not None and target not in model.path_model.blocks:
        raise PLSError(
            f"target {target!r} is not a construct of the model",
            zh=f"目标变量“{target}”不是模型中的潜变量",
        )
    path_model = model.path_model
    if costs is not None:
        _check_costs(costs, path_model, target, cost_scale, feasibility_scale)
    prepared = prepare(
        data,
        path_model.items,
        model.items,
        missing=missing or model.missing,  # type: ignore[arg-type]
        weights_column=model.weights,
    )
    result = fit(
        prepared.frame,
        path_model,
        scheme=scheme,  # type: ignore[arg-type]
        sample_weights=prepared.sample_weights,
        max_iter=max_iter,
    )
    reliability = assess(result)
    htmt = htmt_from_corr(result.item_correlations, path_model.blocks)
    scales = model.scales
    unscaled = [item for item in path_model.items if item not in scales]
    if unscaled:
        raise PLSError(
            f"declare the scale of every item for the 0-100 index; missing: {', '.join(unscaled)}",
            zh=f"计算 0-100 指数需要每个题项的量表；缺少：{'、'.join(unscaled)}",
        )
    negative = index_weights(result, scales)
    negative = negative[negative < 0]
    for (construct, item), weight in negative.items():
        result.warnings.append(
            f"{item} has a negative weight ({weight:.3f}) in {construct}: its 0-100 scores can "
            f"leave the range and its impact is negative / 题项“{item}”在“{construct}”中的权重为负"
            f"（{weight:.3f}），0-100 得分可能超出范围，影响为负"
        )
    index = index_summary(result, scales)
    direct_0_100 = unstandardised_paths(result, scales)
    impact_table = ipma_c = ipma_i = priority = priority_adjusted = None
    cuts: dict[str, float] = {}
    if target is not None and path_model.predecessors(target):
        impact_table = impacts(result, scales)
        ipma_c = ipma_constructs(result, scales, target)
        ipma_c, cuts = strategy_matrix(ipma_c)
        ipma_c["label"] = [model.label(c, language) for c in ipma_c.index]
        ipma_c["area"] = [
            QUADRANTS[q]["zh" if language.startswith("zh") else "en"] for q in ipma_c["quadrant"]
        ]
        ipma_i = ipma_items(result, scales, target)
        priority = priority_ranking(
            ipma_i,
            labels={i: model.item_label(i) for i in path_model.items},
            language=language,
        )
        if costs is not None:
            priority_adjusted = adjust_priority(
                priority, costs, cost_scale=cost_scale, feasibility_scale=feasibility_scale
            )
    boot = None
    if bootstrap:
        boot = bootstrap_module.bootstrap(
            prepared.frame,
            path_model,
            samples=bootstrap,
            seed=seed,
            scheme=scheme,  # type: ignore[arg-type]
            sample_weights=prepared.sample_weights,
            scales=scales,
            max_iter=max_iter,
        )
    return Analysis(
        model=model,
        prepared=prepared,
        result=result,
        target=target,
        reliability=reliability,
        htmt=htmt,
        index=index,
        impacts=impact_table,
        ipma_constructs=ipma_c,
        ipma_items=ipma_i,
        cuts=cuts,
        priority=priority,
        boot=boot,
        paths_unstandardised=direct_0_100,
        options={
            "scheme": scheme,
            "target": target,
            "bootstrap": bootstrap,
            "seed": seed,
            "missing": missing or model.missing,
        },
        language=language,
        priority_adjusted=priority_adjusted,
    )


def _check_costs(
    costs: Costs,
    path_model: PathModel,
    target: str | None,
    cost_scale: CostScale,
    feasibility_scale: FeasibilityScale,
) -> None:
    """Refuse bad costs before the fit: values and scales, items outside the model, and
    costs for a model that ranks nothing."""
    entries = read_costs(costs, cost_scale=cost_scale, feasibility_scale=feasibility_scale)
    unknown = [item for item in entries if item not in path_model.items]
    if unknown:
        raise PLSError(
            f"not items of the model: {', '.join(unknown)}",
            zh=f"以下不是模型中的题项：{'、'.join(unknown)}",
        )
    if target is None or not path_model.predecessors(target):
        raise PLSError(
            "costs were given, but the model has no target with drivers to rank items for",
            zh="给出了改进成本，但模型没有带驱动因素的目标变量，无法进行改进排序",
        )
    drivers: set[str] = set()
    frontier = [target]
    while frontier:  # the constructs with a path to the target: their items are ranked
        for source in path_model.predecessors(frontier.pop()):
            if source not in drivers:
                drivers.add(source)
                frontier.append(source)
    unranked = [item for item in entries if path_model.construct_of(item) not in drivers]
    if unranked:
        raise PLSError(
            f"only items of the drivers of {target!r} are ranked; not: {', '.join(unranked)}",
            zh=f"只对“{target}”的驱动因素的题项排序；以下题项不在其中：{'、'.join(unranked)}",
        )
