"""Sending invitations: e-mail through Django's mail backends (SMTP in production, the
console or memory backends elsewhere), SMS through a gateway chosen in the settings:

- ``MANYI_SMS_BACKEND = "console"`` (default): the message is logged and kept in
  `console_outbox`, for development and for checking what would have gone out;
- ``MANYI_SMS_BACKEND = "http"``: POST ``{"phone": ..., "text": ...}`` as JSON to
  ``MANYI_SMS_URL`` with ``Authorization: Bearer MANYI_SMS_TOKEN``, which is how the
  Chinese SMS platforms' relay services and a company's own gateway are usually fronted.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)


class SendError(Exception):
    """The channel refused or could not be reached; the invitation records why."""


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> str:
        """Send one message; return the gateway's reference. Raise SendError on failure."""


@dataclass
class SentSms:
    phone: str
    text: str


console_outbox: list[SentSms] = []


class ConsoleGateway:
    def send(self, phone: str, text: str) -> str:
        console_outbox.append(SentSms(phone, text))
        logger.info("SMS to %s: %s", phone, text)
        return f"console-{len(console_outbox)}"


class HttpGateway:
    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str) -> str:
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode()
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = response.read().decode() or "{}"
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendError(f"SMS gateway: {exc}") from None
        try:
            return str(json.loads(answer).get("id", ""))
        except (ValueError, AttributeError):
            return ""


def sms_gateway() -> SmsGateway:
    backend = getattr(settings, "MANYI_SMS_BACKEND", "console")
    if backend == "http":
        return HttpGateway(settings.MANYI_SMS_URL, getattr(settings, "MANYI_SMS_TOKEN", ""))
    return ConsoleGateway()


def send(channel: str, address: str, subject: str, text: str) -> str:
    """Send an invitation or reminder; returns a reference, raises SendError."""
    if channel == "email":
        try:
            send_mail(subject, text, None, [address])
        except Exception as exc:  # SMTP errors come in many classes
            raise SendError(f"e-mail: {exc}") from None
        return "email"
    if channel == "sms":
        return sms_gateway().send(address, text)
    raise SendError(f"no sender for channel {channel}")
