"""Walk the site as one person would, by following the links each page shows.

What a person reads on a page (text, button labels, placeholders, titles, options) is
collected with the standard library's HTML parser and searched for English words and code
names; every link a page shows is followed, and one that answers 403, 404 or 500 is a
finding. Pages are grouped by the shape of their address (numbers become N) so that a
thousand tickets cost a few visits, not a thousand. `press_buttons` does the same for the
buttons: each POST form a page shows, one per shape of its address, is sent as a click
on it would send it, and a refusal (403), a failure (500) or an answer in English is a
finding.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urldefrag, urlsplit

# Words a Chinese reader meets as they are: product and standard names, file formats,
# units. Everything else in Latin letters is a finding.
ALLOWED = frozenset(
    {
        "Manyi",  # the product's name beside 满意
        "English",  # the language switch names the other language in its own words
        "API",
        "OpenAPI",
        "NPS",
        "CSAT",
        "CES",
        "SLA",
        "PLS",
        "PLS-SEM",
        "SEM",
        "IPMA",
        "ECSI",
        "ACSI",
        "CSI",
        "RFM",
        "CLV",
        "FCR",
        "VIP",
        "QR",
        "ID",
        "IP",
        "URL",
        "SMS",
        "SMTP",
        "CSV",
        "XLSX",
        "Excel",
        "XLSForm",
        "UTF-8",
        "GBK",
        "GB18030",
        "PDF",
        "JSON",
        "HTML",
        "Token",
        "Bearer",
        "AVE",
        "HTMT",
        "VIF",
        "MB",
        "KB",
        "Word",  # Microsoft Word, among the attachment types
        "ATM",
        "ODK",
        "KoboToolbox",
        "Erlang",  # Erlang C, the staffing formula
        "Cronbach",
        "Fornell-Larcker",
        "BCa",  # bias-corrected and accelerated bootstrap intervals
        "GoF",
        "YAML",
        "Cookie",
        "AAPOR",  # the standard response-rate definitions, on a call list's figures
    }
)

# What the person typed (a textarea's content) and what the page marks as a name or code
# not to be translated (the HTML attribute translate="no": file names, codes a company
# chose, user names) are theirs, not ours.
_SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "textarea"}
_VOID_TAGS = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "track",
    "wbr",
}
_SHOWN_ATTRS = ("title", "placeholder", "alt", "aria-label")
_EMAIL_OR_URL = re.compile(r"[A-Za-z0-9_.+*-]+@[A-Za-z0-9_*-]+(\.[A-Za-z0-9_-]+)+|https?://\S+")
# A word of two or more Latin letters (dots, hyphens and underscores inside it, as in code
# names like customers.export or quadrant=complex), not glued to digits: identifiers such as
# SH01 or C074 are the customer's own codes and pass.
_WORD = re.compile(r"(?<![A-Za-z0-9_.-])[A-Za-z][A-Za-z_.'=-]*[A-Za-z](?![A-Za-z0-9_-])")


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")
        if self._skipping:
            if tag not in _VOID_TAGS:
                self._skipping += 1
            return
        if tag in _SKIP_TAGS or (values.get("translate") == "no" and tag not in _VOID_TAGS):
            self._skipping = 1
            return
        for name in _SHOWN_ATTRS:
            if values.get(name):
                self.texts.append(values[name] or "")
        if tag == "input" and values.get("type") in {"submit", "button", "reset"}:
            self.texts.append(values.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if self._skipping and tag not in _VOID_TAGS:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping and data.strip():
            self.texts.append(data.strip())


def read_page(html: str) -> tuple[list[str], list[str]]:
    """The texts a person reads on the page, and the links it shows."""
    parser = _PageParser()
    parser.feed(html)
    parser.close()
    return parser.texts, parser.links


def foreign_words(text: str, allowed: Iterable[str] = ALLOWED) -> list[str]:
    """English words and code names in a text a Chinese reader is shown."""
    allowed = set(allowed)
    cleaned = _EMAIL_OR_URL.sub(" ", text)
    return [w for w in _WORD.findall(cleaned) if w not in allowed]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_words(content: bytes) -> list[str]:
    """Foreign words in a downloaded workbook's sheet names and header rows: what the reader
    of an export meets first (the cells below are the data)."""
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content), read_only=True)
    texts = list(book.sheetnames)
    for sheet in book.worksheets:
        for row in sheet.iter_rows(min_row=1, max_row=1, values_only=True):
            texts += [str(v) for v in row if isinstance(v, str)]
    return [w for text in texts for w in foreign_words(text)]


def shape(url: str) -> str:
    """The address with its numbers and tokens generalised: one page per shape is enough."""
    parts = urlsplit(url)
    path = re.sub(r"/[0-9a-f]{8}-[0-9a-f-]{27,}", "/U", parts.path)
    # Public tokens before numbers: a token's digits would otherwise shorten it below
    # the length that marks it, and the same page would get a new shape each run.
    path = re.sub(r"/[A-Za-z0-9_-]{20,}(?=/|$)", "/T", path)
    path = re.sub(r"\d+", "N", path)
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return path + ("?" + "&".join(keys) if keys else "")


@dataclass
class Finding:
    url: str
    problem: str
    found_on: str = ""
    how: str = "linked from"  # or "shown on": a button's form on that page

    def __str__(self) -> str:
        where = f" ({self.how} {self.found_on})" if self.found_on else ""
        return f"{self.url}: {self.problem}{where}"


@dataclass
class Crawl:
    pages: int = 0
    findings: list[Finding] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)


def crawl(
    get: Callable[[str], object],
    start: Iterable[str],
    *,
    skip: Callable[[str], bool] = lambda url: False,
    per_shape: int = 2,
    budget: int = 400,
    check_text: bool = True,
    file_format: Callable[[str], bool] = lambda url: False,
) -> Crawl:
    """Follow the links from `start` with `get` (a logged-in test client's get).
    `file_format(url)` marks downloads whose names are a file format's own (an XLSForm's
    sheets and columns, which ODK and KoboToolbox read), not words for a person."""
    result = Crawl()
    queue: deque[tuple[str, str]] = deque((url, "") for url in start)
    seen: set[str] = set()
    shapes: dict[str, int] = {}
    while queue and result.pages < budget:
        url, found_on = queue.popleft()
        url = urldefrag(url)[0]
        if url in seen or skip(url):
            continue
        key = shape(url)
        if shapes.get(key, 0) >= per_shape:
            continue
        seen.add(url)
        shapes[key] = shapes.get(key, 0) + 1
        response = get(url)
        result.pages += 1
        result.visited.append(url)
        status = response.status_code  # type: ignore[attr-defined]
        if status in {301, 302, 303}:
            target = response["Location"]  # type: ignore[index]
            if urlsplit(target).netloc in {"", "testserver"}:
                queue.appendleft((target, url))
            continue
        if status != 200:
            result.findings.append(Finding(url, f"answers {status}", found_on))
            continue
        content_type = response.get("Content-Type", "")  # type: ignore[attr-defined]
        if content_type.startswith(XLSX) and check_text and not file_format(url):
            words = sorted(set(workbook_words(b"".join(response))))  # type: ignore[call-overload]
            if words:
                result.findings.append(Finding(url, "workbook shows " + ", ".join(words)))
            continue
        if not content_type.startswith("text/html"):
            continue
        html = response.content.decode()  # type: ignore[attr-defined]
        texts, links = read_page(html)
        if check_text:
            words = sorted({w for text in texts for w in foreign_words(text)})
            if words:
                result.findings.append(Finding(url, "shows " + ", ".join(words)))
        for link in links:
            parts = urlsplit(link)
            if parts.scheme in {"mailto", "tel", "javascript", "data"}:
                continue
            if parts.netloc and parts.netloc != "testserver":
                continue
            if not link.startswith("/"):
                if link.startswith("?"):
                    link = urlsplit(url).path + link
                else:
                    continue
            queue.append((link, url))
    return result


# --- Buttons ------------------------------------------------------------------------------
# A POST form is a button: what a click sends is what the page put in the form. The rules
# are the HTML standard's form-submission rules, as far as the pages use them: hidden and
# text inputs with their values, checked boxes and radios ("on" without a value), a select's
# selected options or else its first option, a textarea's text, the controls outside the
# form that name it with form="id", and the name and value of the button pressed (the
# form's first submit button, the one Enter presses). A file input sends no file.

_NOT_SENT = {"submit", "button", "reset", "image", "file"}
ON = "shown on"


@dataclass
class Form:
    """One POST form a page shows, as a click on its first button would send it."""

    action: str
    fields: list[tuple[str, str]]
    found_on: str
    button: str = ""  # the pressed button's name, if it has one

    @property
    def key(self) -> str:
        """Forms of one action shape (and button name) are one button to try."""
        return shape(self.action) + (f"#{self.button}" if self.button else "")

    def data(self) -> dict[str, list[str]]:
        """The fields as the test client's post takes them (a name may repeat)."""
        sent: dict[str, list[str]] = {}
        for name, value in self.fields:
            sent.setdefault(name, []).append(value)
        return sent


@dataclass
class _Control:
    owner: str  # the form's index as a string, or "#id" for a form= reference
    name: str
    value: str


@dataclass
class _Select:
    owner: str
    name: str
    multiple: bool
    options: list[tuple[str, bool]] = field(default_factory=list)  # value, selected


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[dict[str, str]] = []  # action, method, id of each form
        self.controls: list[_Control] = []
        self.selects: list[_Select] = []
        self.buttons: list[_Control] = []
        self._form: int | None = None
        self._select: _Select | None = None
        self._option: dict[str, str | None] | None = None
        self._option_text = ""
        self._textarea: _Control | None = None
        self._template = 0

    def _owner(self, values: dict[str, str | None]) -> str | None:
        if values.get("form"):
            return "#" + (values["form"] or "")
        return None if self._form is None else str(self._form)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "template":
            self._template += 1
        if self._template:
            return
        if tag == "form":
            self.forms.append(
                {
                    "action": values.get("action") or "",
                    "method": (values.get("method") or "get").lower(),
                    "id": values.get("id") or "",
                }
            )
            self._form = len(self.forms) - 1
            return
        owner = self._owner(values)
        disabled = "disabled" in values
        name = values.get("name") or ""
        if tag == "option" and self._select is not None:
            self._close_option()
            self._option = values
            self._option_text = ""
        if owner is None or disabled:
            return
        if tag == "input":
            kind = (values.get("type") or "text").lower()
            if kind in {"submit", "image"}:
                self.buttons.append(_Control(owner, name, values.get("value") or ""))
            elif kind in {"checkbox", "radio"}:
                if name and "checked" in values:  # "on" only when it has no value at all
                    value = values.get("value", "on")
                    self.controls.append(_Control(owner, name, value or ""))
            elif kind not in _NOT_SENT and name:
                self.controls.append(_Control(owner, name, values.get("value") or ""))
        elif tag == "button" and (values.get("type") or "submit").lower() == "submit":
            self.buttons.append(_Control(owner, name, values.get("value") or ""))
        elif tag == "select" and name:
            self._select = _Select(owner, name, "multiple" in values)
            self.selects.append(self._select)
        elif tag == "textarea" and name:
            self._textarea = _Control(owner, name, "")
            self.controls.append(self._textarea)

    def _close_option(self) -> None:
        if self._option is not None and self._select is not None:
            value = self._option.get("value")
            if value is None:
                value = self._option_text.strip()
            if "disabled" not in self._option:
                self._select.options.append((value, "selected" in self._option))
        self._option = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "template":
            self._template = max(0, self._template - 1)
        if self._template:
            return
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._close_option()
        elif tag == "select":
            self._close_option()
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._textarea.value += data
        elif self._option is not None:
            self._option_text += data

    def close(self) -> None:
        super().close()
        self._close_option()


def _absolute(action: str, page: str) -> str:
    """The form's address as the browser resolves it (an empty action posts to the page)."""
    from urllib.parse import urljoin

    resolved = urljoin("http://testserver" + page, action or page)
    parts = urlsplit(resolved)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def read_forms(html: str, page: str) -> list[Form]:
    """The POST forms a page at address `page` shows, each with what a click would send."""
    parser = _FormParser()
    parser.feed(html)
    parser.close()
    by_id = {f["id"]: str(i) for i, f in enumerate(parser.forms) if f["id"]}

    def index(owner: str) -> str | None:
        return by_id.get(owner[1:]) if owner.startswith("#") else owner

    forms = []
    for i, attrs in enumerate(parser.forms):
        if attrs["method"] != "post":
            continue
        fields = [(c.name, c.value) for c in parser.controls if index(c.owner) == str(i)]
        for select in (s for s in parser.selects if index(s.owner) == str(i)):
            chosen = [v for v, selected in select.options if selected]
            if not select.multiple and not chosen and select.options:
                chosen = [select.options[0][0]]
            fields += [(select.name, v) for v in (chosen if select.multiple else chosen[-1:])]
        pressed = next((b for b in parser.buttons if index(b.owner) == str(i)), None)
        if pressed is not None and pressed.name:
            fields.append((pressed.name, pressed.value))
        forms.append(
            Form(
                _absolute(attrs["action"], page),
                fields,
                page,
                button=pressed.name if pressed is not None else "",
            )
        )
    return forms


def press_buttons(
    get: Callable[[str], object],
    post: Callable[[str, dict[str, list[str]]], object],
    pages: Iterable[str],
    *,
    skip: Callable[[str], bool] = lambda url: False,
    refusals: Callable[[], list[str]] = list,
    check_text: bool = True,
) -> Crawl:
    """Press each POST form's button (one per `Form.key`) found on `pages`, as the person
    whose `get` and `post` these are. Each page is read again just before its button is
    pressed, since an earlier press may have changed it (a closed ticket shows no close
    button): a form no longer shown is not pressed. A 403, or a PermissionDenied raised and
    shown as a message (`refusals()` lists those since the last call), and a 500 are
    findings; a redirect, a page with errors, a 400 or 409 are answers a person can act on,
    and with `check_text` what they say (the page answered or redirected to: the message
    a refused form shows) must be free of English words and code names too."""
    result = Crawl()
    pressed: set[str] = set()
    for page in pages:
        html = _html(get(page))
        if html is None:
            continue
        for candidate in read_forms(html, page):
            if candidate.key in pressed or skip(urlsplit(candidate.action).path):
                continue
            fresh = _html(get(page))  # the page as it is now
            now = [f for f in read_forms(fresh or "", page) if f.key == candidate.key]
            if not now:
                continue
            form = now[0]
            pressed.add(form.key)
            refusals()
            try:
                response = post(form.action, form.data())
            except Exception as error:  # the test client re-raises a view's exception
                result.findings.append(Finding(form.action, f"raises {error!r}", page, ON))
                continue
            result.pages += 1
            status = response.status_code  # type: ignore[attr-defined]
            result.visited.append(f"{form.key} {status}")
            refused = refusals()
            if status == 403 or status >= 500:
                result.findings.append(Finding(form.action, f"answers {status}", page, ON))
            elif refused:
                result.findings.append(
                    Finding(form.action, "refused: " + "; ".join(refused), page, ON)
                )
            elif check_text:
                words = _answer_words(get, response)
                if words:
                    result.findings.append(
                        Finding(form.action, "answers with " + ", ".join(words), page, ON)
                    )
    return result


def _answer_words(get: Callable[[str], object], response: object) -> list[str]:
    """Foreign words in what a press answers: the page itself, or the one it leads to."""
    html = _html(response)
    if html is None and response.status_code in {301, 302, 303}:  # type: ignore[attr-defined]
        target = response["Location"]  # type: ignore[index]
        if urlsplit(target).netloc in {"", "testserver"} and target.startswith("/"):
            html = _html(get(target))
    if html is None:
        return []
    texts, _links = read_page(html)
    return sorted({w for text in texts for w in foreign_words(text)})


def _html(response: object) -> str | None:
    if response.status_code != 200:  # type: ignore[attr-defined]
        return None
    if not response.get("Content-Type", "").startswith("text/html"):  # type: ignore[attr-defined]
        return None
    return response.content.decode()  # type: ignore[attr-defined]
