"""Masking of personal data (PIPL): one helper for templates, API schemas and exports.

Masked forms keep enough to recognise a record at the counter (the last digits of a phone,
the district of an address) and nothing that identifies a person on its own.
"""

from __future__ import annotations

import re
import unicodedata

MASK = "****"

_PHONE_PREFIX = re.compile(r"^(?:\+?86|0086)(?=1\d{10}$)")
_ADMIN_UNIT = re.compile(r"^.{0,12}?(?:自治州|地区|盟|[省市区县旗])")


def _normalise(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip()


def mask_phone(value: str | None) -> str:
    """13812345678 -> 138****5678; 010-62345678 -> 010-****5678; short numbers keep 2 digits."""
    if not value:
        return ""
    text = _normalise(value)
    digits = re.sub(r"[\s\-()]", "", text)
    digits = _PHONE_PREFIX.sub("", digits)
    if re.fullmatch(r"1\d{10}", digits):
        return f"{digits[:3]}{MASK}{digits[-4:]}"
    if "-" in text:  # landline with area code
        area, _, number = text.partition("-")
        number = re.sub(r"\D", "", number)
        return f"{area}-{MASK}{number[-4:]}" if len(number) > 4 else f"{area}-{MASK}"
    if len(digits) > 6:
        return f"{digits[:2]}{MASK}{digits[-4:]}"
    return f"{digits[:1]}{MASK}" if digits else MASK


def mask_id_number(value: str | None) -> str:
    """Resident ID 110101199003071234 -> 110***********1234 (birth date hidden)."""
    if not value:
        return ""
    text = _normalise(value).replace(" ", "")
    if len(text) <= 4:
        return MASK
    keep_head = 3 if len(text) >= 10 else 1
    return text[:keep_head] + "*" * (len(text) - keep_head - 4) + text[-4:]


def mask_address(value: str | None) -> str:
    """Keep province, city and district; hide the street and the door number."""
    if not value:
        return ""
    text = _normalise(value)
    kept = ""
    rest = text
    for _ in range(3):  # province, city, district at most
        match = _ADMIN_UNIT.match(rest)
        if not match:
            break
        kept += match.group(0)
        rest = rest[match.end() :]
    if not kept:
        kept = text[: min(6, max(len(text) // 3, 1))]
    return f"{kept}{MASK}" if len(kept) < len(text) else kept


def mask_name(value: str | None) -> str:
    """张伟 -> 张*; 欧阳娜娜 -> 欧***; Zhang Wei -> Z*** W***."""
    if not value:
        return ""
    text = _normalise(value)
    if re.search(r"[\u4e00-\u9fff]", text):
        return text[0] + "*" * (len(text) - 1) if len(text) > 1 else text
    return " ".join(part[0] + "***" for part in text.split())


def mask_email(value: str | None) -> str:
    """zhang.wei@example.com -> z***@example.com."""
    if not value:
        return ""
    local, at, domain = _normalise(value).partition("@")
    return f"{local[:1]}***{at}{domain}" if at else mask_name(local)


MASKERS = {
    "phone": mask_phone,
    "id_number": mask_id_number,
    "address": mask_address,
    "name": mask_name,
    "email": mask_email,
}


def mask(kind: str, value: str | None) -> str:
    try:
        return MASKERS[kind](value)
    except KeyError as exc:
        raise ValueError(f"unknown kind of personal data {kind!r}") from exc
