"""Who acts, when it is not a person logged in: the product itself or a device.

Actions take an `Actor`: a user, a `SystemActor` (a job, the demo, an operator's command
line) or a `DeviceActor` (a branch's kiosk, a customer on the phone status page). The audit
trail stores the actor's key and shows its words in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


@dataclass(frozen=True)
class SystemActor:
    key: str  # stored in the audit trail: "system", "system:sla"
    label: Any

    def __str__(self) -> str:
        return str(self.label)


@dataclass(frozen=True)
class DeviceActor:
    kind: str  # a queue channel (kiosk, mobile, remote, api) or customer
    ref: str  # the branch's code, or the customer's queue number

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.ref}"

    def __str__(self) -> str:
        return describe(self.key)


# Who an action is done by. Users are checked for their permissions; the others are the
# product itself or a device, each checked by the action that allows them.
Actor: TypeAlias = "AbstractBaseUser | SystemActor | DeviceActor"

SYSTEM = SystemActor("system", gettext_lazy("Operator on the server"))
DEMO = SystemActor("system:demo", gettext_lazy("Demo data"))
SLA_WATCH = SystemActor("system:sla", gettext_lazy("Deadline watch"))
ASSIGNMENT_RULES = SystemActor("system:assignment", gettext_lazy("Assignment rules"))
ANALYSIS_WORKER = SystemActor("system:insight", gettext_lazy("Analysis worker"))

_SYSTEM_ACTORS = {a.key: a for a in (SYSTEM, DEMO, SLA_WATCH, ASSIGNMENT_RULES, ANALYSIS_WORKER)}
_DEVICES = {
    "kiosk": gettext_lazy("Kiosk"),
    "mobile": gettext_lazy("QR code at the door"),
    "remote": gettext_lazy("Remote check-in"),
    "staff": gettext_lazy("Staff"),
    "api": gettext_lazy("API"),
    "customer": gettext_lazy("Customer"),
}


def is_non_person(actor: Any) -> bool:
    return isinstance(actor, SystemActor | DeviceActor)


def describe(key: str) -> str:
    """The words for a stored actor key that is not a person: "system:sla" → 时限监控."""
    if key in _SYSTEM_ACTORS:
        return str(_SYSTEM_ACTORS[key].label)
    if key.startswith("system"):
        return _("System")
    kind, _sep, ref = key.partition(":")
    if kind in _DEVICES:
        if kind == "customer":
            return _("Customer holding number %(number)s") % {"number": ref}
        return f"{_DEVICES[kind]} · {ref}" if ref else str(_DEVICES[kind])
    return key
