"""Words for the codes an analysis keeps (the JSON result and analysts' scripts use the
codes; the page, the PDF and the Excel report are read by people): the validity checks of
the flags, the kinds of bootstrapped parameters and the measurement modes."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from manyi.analytics.report import Words, named

from .forms import MISSING_TREATMENTS, SCHEMES

CHECKS = {
    "alpha": _("Cronbach alpha"),
    "rho_c": _("Composite reliability ρc"),
    "rho_a": _("Reliability ρA"),
    "ave": _("Average variance extracted (AVE)"),
    "fornell_larcker": _("Fornell-Larcker criterion"),
    "htmt": _("HTMT ratio"),
    "loading": _("Item loading"),
    "vif": _("Item collinearity (VIF)"),
}
BOOTSTRAP_KINDS = {
    "path": _("Path coefficient"),
    "total_effect": _("Total effect"),
    "r2": _("R²"),
    "outer_weight": _("Item weight"),
    "loading": _("Item loading"),
    "htmt": _("HTMT ratio"),
    "index": _("Index (0-100)"),
    "impact": _("Impact"),
}
MODES = {"A": _("Reflective (mode A)"), "B": _("Formative (mode B)")}


def check_word(code: str) -> str:
    return str(CHECKS.get(code, code))


def place(where: str, labels: Mapping[str, str]) -> str:
    """A flag's place ("Image / IMAG2", "Image ~ Value") with the constructs' labels."""
    return named(where, labels)


def report_words(language: str) -> Words:
    """The words of the Excel report's codes in `language` ("zh", "zh-hans", "en")."""
    with translation.override("zh-hans" if language.startswith("zh") else "en"):
        tables = {
            "check": CHECKS,
            "kind": BOOTSTRAP_KINDS,
            "mode": MODES,
            "scheme": SCHEMES,
            "missing": MISSING_TREATMENTS,
        }
        return {key: {code: str(word) for code, word in t.items()} for key, t in tables.items()}
