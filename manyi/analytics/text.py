"""Text normalisation shared by import, search and duplicate detection (no Django)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

_SPACES = re.compile(r"\s+")
_PHONE_JUNK = re.compile(r"[\s\-()（）.]")
MOBILE = re.compile(r"1[3-9]\d{9}")
LANDLINE = re.compile(r"0\d{2,3}\d{7,8}")


def normalise(text: str | None) -> str:
    """Full-width to half-width (NFKC), trimmed, inner whitespace collapsed."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).replace("\ufeff", "")
    return _SPACES.sub(" ", text).strip()


def normalise_phone(raw: str | None) -> str:
    """+86 138-1234-5678, 0086 13812345678, １３８ 1234 5678 -> 13812345678;
    010-62345678 -> 01062345678. Returns "" when nothing like a phone number is left."""
    text = _PHONE_JUNK.sub("", normalise(raw))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text if text.isdigit() else ""


def phone_kind(number: str) -> str | None:
    """'mobile', 'landline' or None for a normalised number."""
    if MOBILE.fullmatch(number):
        return "mobile"
    if LANDLINE.fullmatch(number):
        return "landline"
    return None


@lru_cache(maxsize=65536)
def pinyin_keys(name: str) -> tuple[str, str]:
    """('zhangwei', 'zw') for 张伟; Latin names are lower-cased and kept as they are."""
    from pypinyin import Style, lazy_pinyin

    text = normalise(name)
    if not text:
        return "", ""
    syllables = [s.lower() for s in lazy_pinyin(text, style=Style.NORMAL, errors="default")]
    syllables = [re.sub(r"[^a-z0-9]", "", s) for s in syllables]
    syllables = [s for s in syllables if s]
    full = "".join(syllables)
    initials = "".join(s[0] for s in syllables)
    return full[:100], initials[:30]


_WORD = re.compile(r"\w", re.UNICODE)


@lru_cache(maxsize=1)
def _jieba():  # type: ignore[no-untyped-def]
    """jieba, loaded once (its dictionary takes about a second the first time)."""
    import logging
    import warnings

    with warnings.catch_warnings():  # jieba 0.42's regular expressions use old escapes
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", SyntaxWarning)
        import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def segment(text: str | None) -> list[str]:
    """Chinese text cut into search words (jieba's search mode, which also yields the short
    words inside long ones), normalised and lower-cased; punctuation is dropped."""
    text = normalise(text).lower()
    if not text:
        return []
    return [w for w in _jieba().cut_for_search(text) if w.strip() and _WORD.search(w)]


def search_document(*parts: str | None) -> str:
    """The words of several fields, space-separated: what the full-text index stores."""
    return " ".join(word for part in parts for word in segment(part))


# Words that carry no opinion in customers' comments.
STOP_WORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "我",
        "你",
        "他",
        "她",
        "我们",
        "你们",
        "他们",
        "在",
        "也",
        "和",
        "与",
        "就",
        "都",
        "很",
        "还",
        "又",
        "有",
        "没有",
        "没",
        "不",
        "一个",
        "这个",
        "那个",
        "这",
        "那",
        "吧",
        "吗",
        "呢",
        "啊",
        "哦",
        "嗯",
        "就是",
        "因为",
        "所以",
        "但是",
        "而且",
        "然后",
        "还是",
        "可以",
        "已经",
        "非常",
        "比较",
        "感觉",
        "觉得",
        "一下",
        "一些",
        "什么",
        "怎么",
        "为什么",
        "对",
        "给",
        "让",
        "被",
        "把",
        "从",
        "到",
        "说",
        "要",
        "会",
        "能",
        "去",
        "来",
        "上",
        "下",
        "里",
        "中",
    ]
)


def word_frequencies(texts: Iterable[str | None], *, top: int = 30) -> list[tuple[str, int]]:
    """The most frequent words of open answers (jieba's precise mode), without stop words,
    punctuation and single characters: what customers talk about."""
    counts: dict[str, int] = {}
    cut = _jieba().cut
    for text in texts:
        for word in cut(normalise(text).lower()):
            word = word.strip()
            if len(word) < 2 or word in STOP_WORDS or not _WORD.search(word):
                continue
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:top]
