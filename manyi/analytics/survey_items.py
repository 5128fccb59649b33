"""A questionnaire's rating questions as the satisfaction model's items (no Django).

The index model names its items (质量_等候时间 ...); a questionnaire names its questions by
their XLSForm `name`. This module finds the rating questions, with what the questionnaire
itself says about each: the scale (a range's start and end, a choice list's numeric codes,
an integer's constraint), the codes that mean "don't know" (a choice labelled 不知道 or
not applicable, or `instance::dont_know`) and reverse coding (`instance::reverse`). It maps
the model's items onto them, by name unless the analyst says otherwise, and binds the
model to the questions: the bound model names the questions directly, so the same model
file reads the questionnaire's own export, and a run can be reproduced from its YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from .modelfile import IndexModel
from .pls import PathModel, PLSError
from .survey import ItemSpec, clean_header
from .xlsform import Form, Question

# Choice labels that mean "no answer" rather than a point on the scale.
DONT_KNOW_WORDS = (
    "不知道",
    "不清楚",
    "不适用",
    "说不清",
    "无法评价",
    "不了解",
    "没用过",
    "未使用",
    "don't know",
    "dont know",
    "do not know",
    "not applicable",
    "no opinion",
    "n/a",
)
_SCALE_HINT = re.compile(r"\s*[（(][^（）()]*\d[^（）()]*[）)]\s*$")
_BOUND = re.compile(r"\.\s*(>=|<=|>|<)\s*([+-]?\d+(?:\.\d+)?)")


@dataclass(frozen=True)
class RatingItem:
    """A question the index can use as an item."""

    name: str
    labels: Mapping[str, str]
    scale: tuple[float, float]
    dont_know: tuple[str, ...] = ()
    reverse: bool = False

    def label(self, language: str = "zh") -> str:
        """The question's text, without a trailing scale hint such as "（1-10 分）", which
        a chart or a board report does not need."""
        code = language[:2].lower()
        text = (
            self.labels.get(code)
            or self.labels.get("default")
            or self.labels.get("zh")
            or next(iter(self.labels.values()), "")
        )
        return _SCALE_HINT.sub("", text).strip() or self.name


def _is_dont_know(labels: Mapping[str, str]) -> bool:
    return any(word in text.strip().lower() for text in labels.values() for word in DONT_KNOW_WORDS)


# Codes of a rating's "don't know / not applicable" column: not points of the scale.
NOT_A_POINT = {"other", "dk", "na", "none", "refused", "dont_know", "unknown"}


def _choice_scale(question: Question) -> tuple[tuple[float, float], tuple[str, ...]] | None:
    """A choice list whose points are whole numbers (a 1-5 rating), perhaps with a "don't
    know" column: a text code (dk, na), a choice labelled 不知道 or not applicable, or 97-99
    beside a scale that ends at 10 or below."""
    if not question.choices:
        return None
    points: list[int] = []
    dont_know: list[str] = []
    for choice in question.choices:
        code = choice.name.strip()
        if code in question.dont_know or _is_dont_know(choice.labels):
            dont_know.append(choice.name)
        elif code.lstrip("-").isdigit():
            points.append(int(code))
        elif code.lower() in NOT_A_POINT:
            dont_know.append(choice.name)
        else:
            return None  # text answers: not a rating
    regular = [n for n in points if n not in (97, 98, 99)]
    if regular and max(regular) <= 10 and len(regular) < len(points):
        dont_know.extend(str(n) for n in points if n in (97, 98, 99))
        points = regular
    if len(set(points)) < 2:
        return None
    return (float(min(points)), float(max(points))), tuple(dont_know)


def _range_scale(question: Question) -> tuple[float, float] | None:
    try:  # pyxform writes start, end and step for every range
        low = float(question.parameters.get("start", 0))
        high = float(question.parameters.get("end", 10))
    except ValueError:
        return None
    if low > high:
        low, high = high, low  # a range may run downwards; the scale is the same
    return (low, high) if high > low else None


def rating_scale(question: Question) -> tuple[float, float] | None:
    """The ends of a range's or a numeric choice list's scale, None for anything else."""
    if question.kind == "range":
        return _range_scale(question)
    if question.kind == "select_one":
        found = _choice_scale(question)
        return found[0] if found else None
    return None


def _constraint_scale(question: Question) -> tuple[float, float] | None:
    """`. >= 1 and . <= 5` on an integer question: a 1-5 rating typed as a number."""
    low = high = None
    for operator, number in _BOUND.findall(question.rule.constraint or ""):
        value = float(number)
        if operator.startswith(">"):
            low = value if operator == ">=" else value + 1
        else:
            high = value if operator == "<=" else value - 1
    if low is None or high is None or high <= low:
        return None
    return (low, high)


def rating_item(question: Question) -> RatingItem | None:
    """The question as an item, or None when it is not a rating."""
    dont_know = tuple(question.dont_know)
    scale: tuple[float, float] | None = None
    if question.kind == "range":
        scale = _range_scale(question)
    elif question.kind == "select_one":
        found = _choice_scale(question)
        if found:
            scale, from_choices = found
            dont_know = tuple(dict.fromkeys((*dont_know, *from_choices)))
    elif question.kind == "integer":
        scale = _constraint_scale(question)
    if scale is None:
        return None
    return RatingItem(
        name=question.name,
        labels=dict(question.labels),
        scale=scale,
        dont_know=dont_know,
        reverse=question.reverse,
    )


def rating_items(form: Form | Sequence[Question]) -> list[RatingItem]:
    """Every rating question, in the questionnaire's order."""
    questions = form.questions if isinstance(form, Form) else form
    return [item for item in map(rating_item, questions) if item is not None]


@dataclass
class ItemMapping:
    """Which question each of the model's items reads."""

    mapped: dict[str, str]  # model item -> question name
    automatic: set[str] = field(default_factory=set)  # the items mapped by name
    unmapped: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.unmapped


def _key(name: str) -> str:
    return clean_header(name).casefold()


def map_items(
    items: Sequence[str],
    questions: Sequence[RatingItem],
    manual: Mapping[str, str] | None = None,
) -> ItemMapping:
    """Map the model's items to rating questions: the analyst's choices first, then by
    name (case and full-width letters ignored). A manual choice that names no rating
    question is refused; an item left without a question is listed as unmapped."""
    by_name = {_key(q.name): q.name for q in questions}
    manual = {clean_header(k): clean_header(v) for k, v in (manual or {}).items() if v}
    unknown_items = sorted(set(manual) - {clean_header(i) for i in items})
    if unknown_items:
        raise PLSError(
            f"the mapping names items the model does not have: {', '.join(unknown_items)}",
            zh=f"对应关系中的题项不在模型中：{'、'.join(unknown_items)}",
        )
    wrong = sorted(q for q in manual.values() if _key(q) not in by_name)
    if wrong:
        raise PLSError(
            f"not rating questions of this questionnaire: {', '.join(wrong)}",
            zh=f"这些不是本问卷的评分题：{'、'.join(wrong)}",
        )
    mapping = ItemMapping(mapped={})
    for item in items:
        chosen = manual.get(clean_header(item))
        if chosen:
            mapping.mapped[item] = by_name[_key(chosen)]
        elif _key(item) in by_name:
            mapping.mapped[item] = by_name[_key(item)]
            mapping.automatic.add(item)
        else:
            mapping.unmapped.append(item)
    twice = sorted(
        {q for q in mapping.mapped.values() if list(mapping.mapped.values()).count(q) > 1}
    )
    if twice:
        raise PLSError(
            f"one question cannot be two items: {', '.join(twice)}",
            zh=f"同一道题不能对应两个题项：{'、'.join(twice)}",
        )
    return mapping


def bind_model(
    model: IndexModel,
    questions: Sequence[RatingItem],
    mapping: ItemMapping,
    *,
    language: str = "zh",
) -> IndexModel:
    """The model reading the questionnaire: each item renamed to its question, with the
    question's label, scale, don't-know codes and reverse coding. Unmapped items refuse."""
    if mapping.unmapped:
        raise PLSError(
            f"no question of the questionnaire for the items {', '.join(mapping.unmapped)}",
            zh=f"问卷中没有与这些题项对应的题目：{'、'.join(mapping.unmapped)}",
        )
    by_name = {q.name: q for q in questions}
    renamed: dict[str, list[str]] = {}
    specs: dict[str, ItemSpec] = {}
    for construct, items in model.path_model.blocks.items():
        renamed[construct] = []
        for item in items:
            question = by_name[mapping.mapped[item]]
            renamed[construct].append(question.name)
            specs[question.name] = ItemSpec(
                scale=question.scale,
                reverse=question.reverse,
                dont_know=question.dont_know,
                label=question.label(language),
            )
    path_model = PathModel(
        blocks=renamed, paths=list(model.path_model.paths), modes=dict(model.path_model.modes)
    )
    return IndexModel(
        path_model=path_model,
        target=model.target,
        items=specs,
        labels=dict(model.labels),
        name=model.name,
        scheme=model.scheme,
        missing=model.missing,
        weights=None,  # survey responses carry no sample weights
        description=model.description,
    )
