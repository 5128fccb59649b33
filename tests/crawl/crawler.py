"""Walk the site as one person would, by following the links each page shows.

What a person reads on a page (text, button labels, placeholders, titles, options) is
collected with the standard library's HTML parser and searched for English words and code
names; every link a page shows is followed, and one that answers 403, 404 or 500 is a
finding. Pages are grouped by the shape of their address (numbers become N) so that a
thousand tickets cost a few visits, not a thousand.
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

    def __str__(self) -> str:
        where = f" (linked from {self.found_on})" if self.found_on else ""
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
