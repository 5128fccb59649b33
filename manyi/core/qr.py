"""QR codes as inline SVG (segno): survey links on posters, queue numbers on phones."""

from __future__ import annotations

import io

from django.utils.safestring import SafeString, mark_safe


def qr_svg(url: str, *, scale: int = 6) -> SafeString:
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, xmldecl=False, svgns=True)
    return mark_safe(out.getvalue().decode())  # segno's own markup, no user text in it
