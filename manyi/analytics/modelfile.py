"""The satisfaction-model file (YAML): blocks, paths, scales, labels and data handling.

The minimal form is accepted as it stands (names may be Chinese):

    blocks:
      Quality: {items: [PERQ1, PERQ2, PERQ3], mode: A, scale: [1, 10]}
      Satisfaction: {items: [CUSA1, CUSA2, CUSA3], scale: [1, 10]}
    paths:
      - [Quality, Satisfaction]
    target: Satisfaction

Richer files may add, all optional:

    name: 银行网点满意度
    scheme: path                    # path | centroid | factorial
    missing: casewise               # casewise | mean
    dont_know: [99, 不知道]          # codes meaning "no answer", for every item
    weights: weight                 # column with the sample weights
    blocks:
      Quality:
        label: {zh: 感知质量, en: Perceived quality}
        items: [PERQ1, PERQ2, {name: PERQ3, reverse: true, label: 等候时间太长}]
        scale: [1, 10]
        reverse: [PERQ2]            # or per item as above
        dont_know: [0]
    items:                          # per-item overrides
      PERQ1: {label: 总体质量, scale: [0, 10]}
    paths:
      - Quality -> Satisfaction     # a string with an arrow works too
      - [Quality, [Value, Loyalty]] # one source to several targets

Shipped templates (ACSI, ECSI, the China-style model) live next to this module in
`templates/`; `template(name)` loads one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .pls import SCHEMES, Mode, PathModel, PLSError
from .survey import MISSING_TREATMENTS, ItemSpec, clean_header

TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class IndexModel:
    path_model: PathModel
    target: str | None
    items: dict[str, ItemSpec]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # construct -> lang -> text
    name: str = ""
    scheme: str = "path"
    missing: str = "casewise"
    weights: str | None = None
    description: str = ""

    @property
    def scales(self) -> dict[str, tuple[float, float]]:
        return {item: spec.scale for item, spec in self.items.items() if spec.scale is not None}

    def label(self, construct: str, language: str = "zh") -> str:
        names = self.labels.get(construct, {})
        return names.get(language[:2]) or names.get("zh") or names.get("en") or construct

    def item_label(self, item: str) -> str:
        spec = self.items.get(item)
        return spec.label if spec and spec.label else item

    def to_yaml(self) -> str:
        return dump_model(self)


def _label(value: Any, where: str) -> dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, str):
        return {"zh": value, "en": value}
    if isinstance(value, Mapping):
        return {str(k)[:2]: str(v) for k, v in value.items()}
    raise PLSError(f"{where}: a label is text or {{zh: ..., en: ...}}", zh=f"{where}：标签应为文字")


def _scale(value: Any, where: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if isinstance(value, str) and "-" in value.strip()[1:]:
        head, _, tail = value.strip().partition("-")
        value = [head, tail]
    try:
        low, high = (float(v) for v in value)
    except (TypeError, ValueError):
        raise PLSError(
            f"{where}: a scale is [minimum, maximum], e.g. [1, 10]; got {value!r}",
            zh=f"{where}：量表应写成 [最小值, 最大值]，例如 [1, 10]；现在是 {value!r}",
        ) from None
    if high <= low:
        raise PLSError(
            f"{where}: the scale's maximum must exceed its minimum",
            zh=f"{where}：量表的最大值必须大于最小值",
        )
    return (low, high)


def _item_label(value: Any) -> str | None:
    """An item's label: text, or {zh: ..., en: ...} (Chinese shown first)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        names = {str(k)[:2]: str(v) for k, v in value.items()}
        return names.get("zh") or names.get("en") or next(iter(names.values()), None)
    return str(value)


def _codes(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


def _paths(raw: Any) -> list[tuple[str, str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise PLSError("paths must be a list", zh="paths 必须是列表")
    out: list[tuple[str, str]] = []
    for entry in raw:
        if isinstance(entry, str):
            parts = [p.strip() for p in entry.replace("→", "->").split("->")]
            if len(parts) < 2 or not all(parts):
                raise PLSError(
                    f"path {entry!r} must read 'Source -> Target'",
                    zh=f"路径“{entry}”应写成“起点 -> 终点”",
                )
            out.extend(itertools.pairwise(parts))
        elif isinstance(entry, (list, tuple)) and len(entry) == 2:
            sources = entry[0] if isinstance(entry[0], list) else [entry[0]]
            targets = entry[1] if isinstance(entry[1], list) else [entry[1]]
            out.extend((str(s), str(t)) for s in sources for t in targets)
        elif isinstance(entry, Mapping) and {"from", "to"} <= entry.keys():
            out.append((str(entry["from"]), str(entry["to"])))
        else:
            raise PLSError(
                f"path {entry!r} must be [Source, Target] or 'Source -> Target'",
                zh=f"路径 {entry!r} 应写成 [起点, 终点] 或“起点 -> 终点”",
            )
    return out


def parse_model(document: Mapping[str, Any]) -> IndexModel:
    if not isinstance(document, Mapping) or "blocks" not in document:
        raise PLSError(
            "a model file needs 'blocks' (and usually 'paths' and 'target')",
            zh="模型文件需要 blocks（通常还有 paths 和 target）",
        )
    raw_blocks = document["blocks"]
    if not isinstance(raw_blocks, Mapping) or not raw_blocks:
        raise PLSError("blocks must map construct names to their items", zh="blocks 格式不正确")
    global_codes = _codes(document.get("dont_know"))
    blocks: dict[str, list[str]] = {}
    modes: dict[str, Mode] = {}
    labels: dict[str, dict[str, str]] = {}
    items: dict[str, ItemSpec] = {}
    for construct, spec in raw_blocks.items():
        construct = str(construct)
        if isinstance(spec, list):
            spec = {"items": spec}
        if not isinstance(spec, Mapping) or "items" not in spec:
            raise PLSError(
                f"block {construct!r} needs a list of items",
                zh=f"潜变量“{construct}”需要题项列表",
            )
        mode = str(spec.get("mode", "A")).upper()
        if mode not in ("A", "B"):
            raise PLSError(
                f"block {construct!r}: mode must be A (reflective) or B (formative)",
                zh=f"潜变量“{construct}”：mode 应为 A（反映型）或 B（形成型）",
            )
        modes[construct] = mode  # type: ignore[assignment]
        labels[construct] = _label(spec.get("label"), construct)
        block_scale = _scale(spec.get("scale"), construct)
        reversed_items = {clean_header(i) for i in _codes(spec.get("reverse"))}
        block_codes = _codes(spec.get("dont_know")) or global_codes
        names = []
        for entry in spec["items"] or []:
            if isinstance(entry, Mapping):
                name = clean_header(entry.get("name", ""))
                if not name:
                    raise PLSError(f"an item of {construct!r} has no name", zh="题项缺少名称")
                item_scale = _scale(entry.get("scale"), name) or block_scale
                items[name] = ItemSpec(
                    scale=item_scale,
                    reverse=bool(entry.get("reverse", name in reversed_items)),
                    dont_know=_codes(entry.get("dont_know")) or block_codes,
                    label=_item_label(entry.get("label")),
                )
            else:
                name = clean_header(entry)
                items[name] = ItemSpec(
                    scale=block_scale, reverse=name in reversed_items, dont_know=block_codes
                )
            names.append(name)
        unknown = sorted(reversed_items - set(names))
        if unknown:
            raise PLSError(
                f"block {construct!r}: reverse names {', '.join(unknown)}, which are not its items",
                zh=f"潜变量“{construct}”：reverse 中的 {'、'.join(unknown)} 不是它的题项",
            )
        blocks[construct] = names
    for name, override in (document.get("items") or {}).items():
        name = clean_header(name)
        if name not in items:
            raise PLSError(
                f"items: {name!r} is in no block", zh=f"items 中的“{name}”不属于任何潜变量"
            )
        base = items[name]
        override = override or {}
        items[name] = ItemSpec(
            scale=_scale(override.get("scale"), name) or base.scale,
            reverse=bool(override.get("reverse", base.reverse)),
            dont_know=_codes(override.get("dont_know")) or base.dont_know,
            label=_item_label(override.get("label")) or base.label,
        )
    path_model = PathModel(blocks=blocks, paths=_paths(document.get("paths")), modes=modes)
    target = document.get("target")
    if target is not None and str(target) not in blocks:
        raise PLSError(
            f"target {target!r} is not a construct of the model",
            zh=f"目标变量“{target}”不是模型中的潜变量",
        )
    scheme = str(document.get("scheme", "path"))
    if scheme not in SCHEMES:
        raise PLSError(f"unknown scheme {scheme!r}", zh=f"未知的内部权重方案“{scheme}”")
    missing = str(document.get("missing", "casewise"))
    if missing not in MISSING_TREATMENTS:
        raise PLSError(
            f"missing must be casewise or mean, not {missing!r}",
            zh=f"missing 应为 casewise 或 mean，而不是“{missing}”",
        )
    return IndexModel(
        path_model=path_model,
        target=str(target) if target is not None else None,
        items=items,
        labels=labels,
        name=str(document.get("name", "")),
        scheme=scheme,
        missing=missing,
        weights=document.get("weights"),
        description=str(document.get("description", "")),
    )


MAX_MODEL_CHARS = 1_000_000
MAX_NESTING = 50


class _NoAliasLoader(yaml.SafeLoader):
    """A model file needs no YAML aliases; refusing them stops a few lines of nested
    aliases from expanding into gigabytes (the "billion laughs")."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            raise PLSError(
                f"line {self.peek_event().start_mark.line + 1}: YAML aliases (*name) are not "
                "allowed in a model file; write the items out",
                zh=f"第 {self.peek_event().start_mark.line + 1} 行：模型文件不允许使用 YAML 别名"
                "（*名称），请直接写出题项",
            )
        return super().compose_node(parent, index)


def _depth(node: Any, limit: int) -> int:
    depth, level = 0, [node]
    while level:
        depth += 1
        if depth > limit:
            return depth
        children: list[Any] = []
        for item in level:
            if isinstance(item, yaml.MappingNode):
                children.extend(v for pair in item.value for v in pair)
            elif isinstance(item, yaml.SequenceNode):
                children.extend(item.value)
        level = children
    return depth


def load_model(text: str) -> IndexModel:
    """Parse a model file's text; YAML mistakes are reported with their line."""
    if len(text) > MAX_MODEL_CHARS:
        raise PLSError(
            f"the model file is longer than {MAX_MODEL_CHARS:,} characters",
            zh=f"模型文件超过 {MAX_MODEL_CHARS:,} 个字符",
        )
    try:
        loader = _NoAliasLoader(text)
        try:
            node = loader.get_single_node()
            if node is not None and _depth(node, MAX_NESTING) > MAX_NESTING:
                raise PLSError(
                    f"the model file is nested more than {MAX_NESTING} levels deep",
                    zh=f"模型文件的嵌套超过 {MAX_NESTING} 层",
                )
            document = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except RecursionError:
        raise PLSError(
            f"the model file is nested more than {MAX_NESTING} levels deep",
            zh=f"模型文件的嵌套超过 {MAX_NESTING} 层",
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" on line {mark.line + 1}" if mark else ""
        where_zh = f"第 {mark.line + 1} 行" if mark else ""
        raise PLSError(
            f"the model file is not valid YAML{where}: {getattr(error, 'problem', error)}",
            zh=f"模型文件{where_zh}不是有效的 YAML：{getattr(error, 'problem', error)}",
        ) from None
    return parse_model(document)


def read_model(path: str | Path) -> IndexModel:
    return load_model(Path(path).read_text(encoding="utf-8"))


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.yaml"))


def template_text(name: str) -> str:
    path = TEMPLATES / f"{name}.yaml"
    if not path.exists():
        raise PLSError(
            f"no template {name!r} (there are {', '.join(template_names())})",
            zh=f"没有模板“{name}”（可用：{'、'.join(template_names())}）",
        )
    return path.read_text(encoding="utf-8")


def template(name: str) -> IndexModel:
    return load_model(template_text(name))


def dump_model(model: IndexModel) -> str:
    """The model as a full YAML file (round-trips through load_model)."""
    blocks: dict[str, Any] = {}
    for construct, names in model.path_model.blocks.items():
        entries = []
        for name in names:
            spec = model.items.get(name, ItemSpec())
            entry: dict[str, Any] = {"name": name}
            if spec.scale:
                entry["scale"] = [_plain(v) for v in spec.scale]
            if spec.reverse:
                entry["reverse"] = True
            if spec.dont_know:
                entry["dont_know"] = list(spec.dont_know)
            if spec.label:
                entry["label"] = spec.label
            entries.append(entry)
        block: dict[str, Any] = {"mode": model.path_model.mode(construct), "items": entries}
        if model.labels.get(construct):
            block["label"] = dict(model.labels[construct])
        blocks[construct] = block
    document: dict[str, Any] = {
        "name": model.name,
        "scheme": model.scheme,
        "missing": model.missing,
        "blocks": blocks,
        "paths": [[s, t] for s, t in model.path_model.paths],
    }
    if model.target:
        document["target"] = model.target
    if model.weights:
        document["weights"] = model.weights
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, default_flow_style=None)


def _plain(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
