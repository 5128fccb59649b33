"""Turning what people type or export into a contact row: kind, value, search keys."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from manyi.analytics.text import normalise, normalise_phone, phone_kind

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class ContactValue:
    kind: str
    value: str
    normalized: str
    last4: str


def parse_phone(raw: str) -> ContactValue:
    number = normalise_phone(raw)
    kind = phone_kind(number) if number else None
    if kind is None:
        raise ValidationError(
            _("“%(value)s” is not a valid mobile or landline number.") % {"value": normalise(raw)}
        )
    pretty = number if kind == "mobile" else f"{number[:-8]}-{number[-8:]}"
    return ContactValue(kind, pretty, number, number[-4:])


def parse_contact(kind: str, raw: str) -> ContactValue:
    text = normalise(raw)
    if kind in ("mobile", "landline", "phone"):
        return parse_phone(text)
    if kind == "email":
        if not _EMAIL.fullmatch(text):
            raise ValidationError(_("“%(value)s” is not a valid e-mail address.") % {"value": text})
        return ContactValue("email", text, text.lower(), "")
    if kind == "wechat":
        if not text:
            raise ValidationError(_("The WeChat id is empty."))
        return ContactValue("wechat", text, text.lower(), "")
    raise ValidationError(_("Unknown kind of contact: %(kind)s") % {"kind": kind})
