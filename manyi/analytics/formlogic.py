"""The XLSForm expression language: skip logic, constraints and calculations.

XLSForm writes a questionnaire's logic in XPath 1.0 with the OpenRosa extensions, as ODK
Collect and KoboToolbox run it: ``${age} >= 18 and selected(${services}, 'loan')``. This is
our own evaluator of the part surveys need, following JavaRosa (ODK Collect) where the
engines differ, so a form imported from XLSForm behaves here as it does there:

- ``${name}`` is the answer to a question, ``.`` the answer being checked (constraints);
  a reference is a node: true in a boolean context because it exists, even when empty;
- numbers, 'strings' and "strings"; ``or``, ``and``, ``=``, ``!=``, ``<``, ``<=``, ``>``,
  ``>=``, ``+``, ``-``, ``*``, ``div``, ``mod``, unary minus, parentheses;
- functions: ``if``, ``selected``, ``selected-at``, ``count-selected``, ``coalesce``,
  ``string-length``, ``regex`` (the whole text must match), ``not``, ``true``, ``false``,
  ``boolean``, ``number``, ``string``, ``int``, ``round``, ``concat``, ``contains``,
  ``starts-with``, ``ends-with``, ``substr``, ``today``;
- XPath 1.0 conversions: an empty or non-numeric answer is NaN in arithmetic and makes a
  comparison of order false; ``=`` against a string compares text; 1 div 0 is Infinity.
  Dates (YYYY-MM-DD) count as days since 1970-01-01 in arithmetic and comparisons, as
  JavaRosa does for date questions.

No Django here: the survey app and analysts' scripts both use it. Answers are strings, as
in an XForm instance (a multiple choice is its values separated by spaces, a ranking all the
choices' values in the respondent's order, as ODK's rank question stores it).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any


class ExpressionError(ValueError):
    """An expression that cannot be read or run; `zh` is the message in Chinese."""

    def __init__(self, message: str, *, zh: str | None = None) -> None:
        super().__init__(message)
        self.zh = zh or message

    def message(self, language: str = "en") -> str:
        return self.zh if language.lower().startswith("zh") else str(self)


# -- values ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Node:
    """A question's answer, as a node of the instance (a one-node node-set)."""

    value: str


Value = Node | str | float | bool

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")
_DATE = re.compile(r"\s*(\d{4})-(\d{2})-(\d{2})\s*")
_EPOCH = dt.date(1970, 1, 1)


def to_string(value: Value) -> str:
    if isinstance(value, Node):
        return value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return format_number(value)
    return value


def format_number(number: float) -> str:
    """As XPath prints numbers: 42, 3.5, 0.30000000000000004, Infinity, NaN."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    text = format(Decimal(repr(number)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def to_number(value: Value) -> float:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, float):
        return value
    text = to_string(value)
    if _NUMBER.fullmatch(text):
        return float(text)
    date = _DATE.fullmatch(text)
    if date:
        try:
            day = dt.date(int(date[1]), int(date[2]), int(date[3]))
        except ValueError:
            return math.nan
        return float((day - _EPOCH).days)
    return math.nan


def to_boolean(value: Value) -> bool:
    if isinstance(value, Node):
        return True  # a node-set with a node in it
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not (value == 0 or math.isnan(value))
    return value != ""


# -- reading -------------------------------------------------------------------------------
_TOKEN = re.compile(
    r"""\s*(?:
      (?P<ref>\$\{(?P<name>[^}]*)\})
    | (?P<number>\d+(?:\.\d*)?|\.\d+)
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<op><=|>=|!=|=|<|>|\+|-|\*|\(|\)|,)
    | (?P<dot>\.)
    | (?P<word>[A-Za-z_][A-Za-z0-9_.:-]*)
    )""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    at: int


def _tokens(expression: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(expression):
        if expression[position:].strip() == "":
            break
        match = _TOKEN.match(expression, position)
        if match is None or match.end() == position:
            bad = expression[position:].strip()[:10]
            raise ExpressionError(
                f"cannot read the expression at “{bad}” (character {position + 1})",
                zh=f"无法识别表达式中的“{bad}”（第 {position + 1} 个字符）",
            )
        kind = match.lastgroup if match.lastgroup != "name" else "ref"
        if match.group("ref"):
            kind, text = "ref", match.group("name").strip()
        else:
            text = match.group(kind)
        tokens.append(Token(kind, text, match.start(kind if kind != "ref" else "ref")))
        position = match.end()
    return tokens


# The syntax tree is made of tuples, cheap to build and to walk:
#   ("num", float) ("str", text) ("ref", name) ("dot",) ("neg", x)
#   ("op", operator, left, right) ("call", name, [arguments])
Tree = tuple[Any, ...]

_BINARY = {  # operator -> precedence (higher binds tighter)
    "or": 1,
    "and": 2,
    "=": 3,
    "!=": 3,
    "<": 4,
    "<=": 4,
    ">": 4,
    ">=": 4,
    "+": 5,
    "-": 5,
    "*": 6,
    "div": 6,
    "mod": 6,
}


class _Parser:
    def __init__(self, expression: str) -> None:
        self.expression = expression
        self.tokens = _tokens(expression)
        self.position = 0

    def peek(self) -> Token | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise ExpressionError("the expression ends too early", zh="表达式不完整，提前结束了")
        self.position += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise ExpressionError(
                f"expected “{text}” but found “{token.text}” (character {token.at + 1})",
                zh=f"第 {token.at + 1} 个字符处应为“{text}”，却是“{token.text}”",
            )

    def binary_operator(self) -> str | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "op" and token.text in _BINARY:
            return token.text
        if token.kind == "word" and token.text in ("or", "and", "div", "mod"):
            return token.text
        return None

    def parse(self, minimum: int = 1) -> Tree:
        left = self.unary()
        while True:
            operator = self.binary_operator()
            if operator is None or _BINARY[operator] < minimum:
                return left
            self.take()
            right = self.parse(_BINARY[operator] + 1)  # left-associative
            left = ("op", operator, left, right)

    def unary(self) -> Tree:
        token = self.peek()
        if token is not None and token.kind == "op" and token.text == "-":
            self.take()
            return ("neg", self.unary())
        return self.primary()

    def primary(self) -> Tree:
        token = self.take()
        if token.kind == "number":
            return ("num", float(token.text))
        if token.kind == "string":
            return ("str", token.text[1:-1])
        if token.kind == "ref":
            if not token.text:
                raise ExpressionError("${} names no question", zh="${} 中缺少题目名称")
            return ("ref", token.text)
        if token.kind == "dot":
            return ("dot",)
        if token.kind == "op" and token.text == "(":
            inner = self.parse()
            self.expect(")")
            return inner
        if token.kind == "word":
            following = self.peek()
            if following is not None and following.text == "(":
                return self.call(token)
            raise ExpressionError(
                f"“{token.text}” is not a question reference: write ${{{token.text}}}",
                zh=f"“{token.text}”不是题目引用，请写成 ${{{token.text}}}",
            )
        raise ExpressionError(
            f"unexpected “{token.text}” (character {token.at + 1})",
            zh=f"第 {token.at + 1} 个字符处出现了不该有的“{token.text}”",
        )

    def call(self, name: Token) -> Tree:
        self.expect("(")
        arguments: list[Tree] = []
        following = self.peek()
        if following is not None and following.text == ")":
            self.take()
        else:
            while True:
                arguments.append(self.parse())
                token = self.take()
                if token.text == ")":
                    break
                if token.text != ",":
                    raise ExpressionError(
                        f"expected “,” or “)” in {name.text}() (character {token.at + 1})",
                        zh=f"{name.text}() 的参数之间应为“,”，或以“)”结束"
                        f"（第 {token.at + 1} 个字符）",
                    )
        function = FUNCTIONS.get(name.text)
        if function is None:
            raise ExpressionError(
                f"the function {name.text}() is not supported",
                zh=f"不支持函数 {name.text}()",
            )
        low, high = function.arity
        if not low <= len(arguments) <= (high if high is not None else len(arguments)):
            raise ExpressionError(
                f"{name.text}() takes {_arity_text(function.arity)} arguments, "
                f"not {len(arguments)}",
                zh=f"{name.text}() 需要 {_arity_text(function.arity)} 个参数，"
                f"而不是 {len(arguments)} 个",
            )
        return ("call", name.text, arguments)


def _arity_text(arity: tuple[int, int | None]) -> str:
    low, high = arity
    if high is None:
        return f"{low}+"
    return str(low) if low == high else f"{low}-{high}"


@lru_cache(maxsize=4096)
def parse(expression: str) -> Tree:
    """The syntax tree of an expression; raises ExpressionError with the place and reason."""
    parser = _Parser(expression)
    if not parser.tokens:
        raise ExpressionError("the expression is empty", zh="表达式为空")
    tree = parser.parse()
    leftover = parser.peek()
    if leftover is not None:
        raise ExpressionError(
            f"unexpected “{leftover.text}” (character {leftover.at + 1})",
            zh=f"第 {leftover.at + 1} 个字符处出现了多余的“{leftover.text}”",
        )
    return tree


def references(expression: str) -> set[str]:
    """The questions an expression reads (to check them, and to order calculations)."""
    found: set[str] = set()

    def walk(tree: Tree) -> None:
        if tree[0] == "ref":
            found.add(tree[1])
        elif tree[0] == "neg":
            walk(tree[1])
        elif tree[0] == "op":
            walk(tree[2])
            walk(tree[3])
        elif tree[0] == "call":
            for argument in tree[2]:
                walk(argument)

    walk(parse(expression))
    return found


# -- running -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Context:
    answers: Mapping[str, str]
    current: str | None = None  # the question whose answer `.` is
    today: dt.date | None = None


def evaluate(
    expression: str,
    answers: Mapping[str, str],
    *,
    current: str | None = None,
    today: dt.date | None = None,
) -> Value:
    """The value of `expression` given the answers so far (question name -> text)."""
    return _run(parse(expression), Context(answers, current, today))


def holds(expression: str, answers: Mapping[str, str], **kwargs: Any) -> bool:
    """True when a relevance, constraint or required expression is satisfied."""
    return to_boolean(evaluate(expression, answers, **kwargs))


def _run(tree: Tree, ctx: Context) -> Value:
    kind = tree[0]
    if kind == "num":
        return tree[1]
    if kind == "str":
        return tree[1]
    if kind == "ref":
        name = tree[1]
        if name not in ctx.answers:
            raise ExpressionError(
                f"${{{name}}} is not a question of this form",
                zh=f"${{{name}}} 不是本问卷中的题目",
            )
        return Node(ctx.answers[name] or "")
    if kind == "dot":
        if ctx.current is None:
            return Node("")
        return Node(ctx.answers.get(ctx.current) or "")
    if kind == "neg":
        return -to_number(_run(tree[1], ctx))
    if kind == "op":
        return _operate(tree[1], tree[2], tree[3], ctx)
    function = FUNCTIONS[tree[1]]
    return function.run(ctx, tree[2])


def _operate(operator: str, left_tree: Tree, right_tree: Tree, ctx: Context) -> Value:
    if operator == "or":
        return to_boolean(_run(left_tree, ctx)) or to_boolean(_run(right_tree, ctx))
    if operator == "and":
        return to_boolean(_run(left_tree, ctx)) and to_boolean(_run(right_tree, ctx))
    left, right = _run(left_tree, ctx), _run(right_tree, ctx)
    if operator in ("=", "!="):
        same = _equal(left, right)
        return same if operator == "=" else _not_equal(left, right)
    if operator in ("<", "<=", ">", ">="):
        a, b = to_number(left), to_number(right)
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[operator]
    a, b = to_number(left), to_number(right)
    if operator == "+":
        return a + b
    if operator == "-":
        return a - b
    if operator == "*":
        return a * b
    if operator == "div":
        if b == 0:
            if a == 0 or math.isnan(a):
                return math.nan
            return math.copysign(math.inf, a) * math.copysign(1, b)
        return a / b
    # mod: the sign of the dividend, as in XPath (and Java's %)
    if b == 0 or math.isnan(a) or math.isnan(b) or math.isinf(a):
        return math.nan
    return math.fmod(a, b)


def _compare_atoms(left: Value, right: Value) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if isinstance(left, float) or isinstance(right, float):
        return to_number(left) == to_number(right)
    return to_string(left) == to_string(right)


def _equal(left: Value, right: Value) -> bool:
    if isinstance(left, Node) or isinstance(right, Node):
        node, other = (left, right) if isinstance(left, Node) else (right, left)
        if isinstance(other, bool):
            return to_boolean(node) == other
        if isinstance(other, float):
            return to_number(node.value) == other
        return node.value == to_string(other)
    return _compare_atoms(left, right)


def _not_equal(left: Value, right: Value) -> bool:
    if isinstance(left, Node) or isinstance(right, Node):
        node, other = (left, right) if isinstance(left, Node) else (right, left)
        if isinstance(other, bool):
            return to_boolean(node) != other
        if isinstance(other, float):
            return to_number(node.value) != other
        return node.value != to_string(other)
    return not _compare_atoms(left, right)


# -- functions -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Function:
    arity: tuple[int, int | None]
    run: Callable[[Context, Sequence[Tree]], Value]


def _values(ctx: Context, arguments: Sequence[Tree]) -> list[Value]:
    return [_run(argument, ctx) for argument in arguments]


def _eager(function: Callable[..., Value]) -> Callable[[Context, Sequence[Tree]], Value]:
    return lambda ctx, arguments: function(*_values(ctx, arguments))


def _if(ctx: Context, arguments: Sequence[Tree]) -> Value:
    condition, then, otherwise = arguments
    return _run(then if to_boolean(_run(condition, ctx)) else otherwise, ctx)


def _coalesce(ctx: Context, arguments: Sequence[Tree]) -> Value:
    first = to_string(_run(arguments[0], ctx))
    return first if first != "" else to_string(_run(arguments[1], ctx))


def _string_length(ctx: Context, arguments: Sequence[Tree]) -> Value:
    value = _run(arguments[0], ctx) if arguments else _run(("dot",), ctx)
    return float(len(to_string(value)))


def _regex(text: Value, pattern: Value) -> Value:
    try:
        compiled = _compiled(to_string(pattern))
    except re.error as exc:
        raise ExpressionError(
            f"regex(): the pattern is not valid ({exc})", zh=f"regex() 的正则表达式无效（{exc}）"
        ) from None
    return compiled.fullmatch(to_string(text)) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _round(value: Value, digits: Value = 0.0) -> Value:
    number, places = to_number(value), to_number(digits)
    if math.isnan(number) or math.isinf(number) or math.isnan(places):
        return number
    scale = 10 ** int(places)
    # half away from zero, as JavaRosa rounds
    return math.copysign(math.floor(abs(number) * scale + 0.5), number) / scale


def _int(value: Value) -> Value:
    number = to_number(value)
    if math.isnan(number) or math.isinf(number):
        return number
    return float(math.trunc(number))


def _substr(text: Value, start: Value, end: Value | None = None) -> Value:
    string = to_string(text)
    first = int(to_number(start))
    if end is None:
        return string[first:]
    return string[first : int(to_number(end))]


def _selected_at(values: Value, index: Value) -> Value:
    """The n-th (from 0) value of a multiple choice or ranking: a rank's first choice is
    ``selected-at(${rank}, 0)``. Out of range (any negative index too) is empty; the index
    is truncated, and NaN counts as 0, as in JavaRosa."""
    number = to_number(index)
    if math.isinf(number) or number < 0:
        return ""
    position = 0 if math.isnan(number) else math.trunc(number)
    items = to_string(values).split()
    return items[position] if 0 <= position < len(items) else ""


def _today(ctx: Context, arguments: Sequence[Tree]) -> Value:
    return (ctx.today or dt.date.today()).isoformat()


FUNCTIONS: dict[str, Function] = {
    "if": Function((3, 3), _if),
    "selected": Function(
        (2, 2),
        _eager(lambda values, value: to_string(value).strip() in to_string(values).split()),
    ),
    "selected-at": Function((2, 2), _eager(_selected_at)),
    "count-selected": Function((1, 1), _eager(lambda v: float(len(to_string(v).split())))),
    "coalesce": Function((2, 2), _coalesce),
    "string-length": Function((0, 1), _string_length),
    "regex": Function((2, 2), _eager(_regex)),
    "not": Function((1, 1), _eager(lambda v: not to_boolean(v))),
    "true": Function((0, 0), _eager(lambda: True)),
    "false": Function((0, 0), _eager(lambda: False)),
    "boolean": Function((1, 1), _eager(to_boolean)),
    "number": Function((1, 1), _eager(to_number)),
    "string": Function((1, 1), _eager(to_string)),
    "int": Function((1, 1), _eager(_int)),
    "round": Function((1, 2), _eager(_round)),
    "concat": Function((0, None), _eager(lambda *v: "".join(to_string(x) for x in v))),
    "contains": Function((2, 2), _eager(lambda a, b: to_string(b) in to_string(a))),
    "starts-with": Function((2, 2), _eager(lambda a, b: to_string(a).startswith(to_string(b)))),
    "ends-with": Function((2, 2), _eager(lambda a, b: to_string(a).endswith(to_string(b)))),
    "substr": Function((2, 3), _eager(_substr)),
    "today": Function((0, 0), _today),
}


# -- a whole form: relevance, calculations and checks ---------------------------------------
@dataclass(frozen=True)
class Rule:
    """One question's logic as XLSForm states it. `groups_relevant` holds the relevance of
    the groups around it (a skipped section skips all its questions)."""

    name: str
    kind: str = "text"  # integer, decimal, date, select_one, select_multiple, calculate, ...
    required: str = ""  # "", "yes", or an expression
    relevant: str = ""
    constraint: str = ""
    constraint_message: str = ""
    calculation: str = ""
    choices: tuple[str, ...] | None = None
    groups_relevant: tuple[str, ...] = ()


@dataclass(frozen=True)
class Problem:
    """Why an answer is refused: `code` is required, constraint, integer, decimal, date,
    choice or rank (not every choice exactly once); `message` is the form author's constraint
    message, when there is one."""

    name: str
    code: str
    message: str = ""


@dataclass
class FormState:
    values: dict[str, str]
    relevant: dict[str, bool]
    problems: list[Problem]

    @property
    def ok(self) -> bool:
        return not self.problems


_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_REQUIRED_WORDS = {"yes", "true", "true()", "1"}


def run_form(
    rules: Sequence[Rule], answers: Mapping[str, str], *, today: dt.date | None = None
) -> FormState:
    """Apply a form's logic to a respondent's answers, as the server's final word: answers
    to skipped questions are dropped, calculations filled in (in dependency order, by
    repeating until nothing changes), then every shown question is checked. A skipped
    question is never required."""
    check_calculations(tuple(rules))
    values = {rule.name: str(answers.get(rule.name) or "") for rule in rules}
    relevant = dict.fromkeys(values, True)
    for _round in range(len(rules) + 2):
        changed = False
        for rule in rules:
            shown = all(
                holds(expression, values, current=rule.name, today=today)
                for expression in (*rule.groups_relevant, rule.relevant)
                if expression
            )
            new = values[rule.name]
            if not shown:
                new = ""
            elif rule.calculation:
                new = to_string(evaluate(rule.calculation, values, today=today))
                if new == "NaN":
                    new = ""
            if shown != relevant[rule.name] or new != values[rule.name]:
                relevant[rule.name], values[rule.name] = shown, new
                changed = True
        if not changed:
            break
    else:
        raise ExpressionError(
            "the calculations depend on each other in a circle",
            zh="计算字段之间存在循环依赖",
        )
    problems = [
        problem
        for rule in rules
        if relevant[rule.name] and not rule.calculation
        for problem in _check(rule, values, today)
    ]
    return FormState(values, relevant, problems)


@lru_cache(maxsize=256)
def check_calculations(rules: tuple[Rule, ...]) -> None:
    """Refuse calculations that depend on themselves, directly or through others."""
    depends = {r.name: references(r.calculation) for r in rules if r.calculation}
    state: dict[str, int] = {}  # 1 = being visited, 2 = done

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == 2 or name not in depends:
            return
        if state.get(name) == 1:
            circle = " → ".join([*path[path.index(name) :], name])
            raise ExpressionError(
                f"the calculations depend on each other in a circle: {circle}",
                zh=f"计算字段之间存在循环依赖：{circle}",
            )
        state[name] = 1
        for other in depends[name]:
            visit(other, [*path, name])
        state[name] = 2

    for name in depends:
        visit(name, [])


def is_required(rule: Rule, values: Mapping[str, str], today: dt.date | None = None) -> bool:
    required = rule.required.strip()
    if not required or required.lower() in ("no", "false", "false()", "0"):
        return False
    if required.lower() in _REQUIRED_WORDS:
        return True
    return holds(required, values, current=rule.name, today=today)


def _check(rule: Rule, values: Mapping[str, str], today: dt.date | None) -> list[Problem]:
    value = values[rule.name].strip()
    if value == "":
        return [Problem(rule.name, "required")] if is_required(rule, values, today) else []
    if rule.kind == "integer" and not _INTEGER.fullmatch(value):
        return [Problem(rule.name, "integer")]
    if rule.kind == "decimal" and not _NUMBER.fullmatch(value):
        return [Problem(rule.name, "decimal")]
    if rule.kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            return [Problem(rule.name, "date")]
    if rule.choices is not None and rule.kind == "rank":
        if not is_ranking(value, rule.choices):
            return [Problem(rule.name, "rank")]
    elif rule.choices is not None:
        chosen = value.split() if rule.kind == "select_multiple" else [value]
        if any(choice not in rule.choices for choice in chosen):
            return [Problem(rule.name, "choice")]
    if rule.constraint and not holds(rule.constraint, values, current=rule.name, today=today):
        return [Problem(rule.name, "constraint", rule.constraint_message)]
    return []


def is_ranking(value: str, choices: Sequence[str]) -> bool:
    """True when `value` orders all the choices, each exactly once: what ODK stores for a
    rank question. An unknown value, a repeat or a missing choice is not a ranking (a page
    that sent the default order untouched sends nothing, so `required` catches that)."""
    return sorted(value.split()) == sorted(choices)
