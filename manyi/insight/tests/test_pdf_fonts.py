"""The PDF report reads the same on any machine: its fonts travel inside it.

The page is rasterised by poppler (pdftoppm) with fontconfig pointed at an empty font
directory, so no font of the machine can stand in for one the PDF does not carry: a CID
font left to the viewer (the old STSong-Light) comes out blank there, an embedded subset
does not.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.utils import translation

from manyi.insight import actions, pdf
from manyi.insight.pdf import run_pdf
from manyi.insight.tests.test_insight import DATA, ECSI_YAML

TITLE = "满意度 α ✓ ✗ 报告"  # Chinese, a Greek letter and two symbols (✗: the fallback font)
NEEDS_POPPLER = pytest.mark.skipif(
    shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None,
    reason="pdftoppm/pdftotext (Debian poppler-utils) absent: `bash scripts/sysdeps.sh pdf`",
)


@pytest.fixture
def run(org):
    dataset = actions.upload_dataset(
        org.analyst, name="ECSI", filename="mobi.csv", content=DATA.read_bytes()
    )
    with translation.override("zh-hans"):
        done = actions.start_run(
            org.analyst, dataset=dataset, model_yaml=ECSI_YAML, options={}, title=TITLE
        )
    assert done.status == "done"
    return done


@pytest.fixture
def no_system_fonts(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine without fonts: fontconfig reads a configuration that
    names no font directory (and a cache of its own)."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n'
        f"<fontconfig><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>\n"
    )
    isolated = {"FONTCONFIG_FILE": str(conf), "FONTCONFIG_PATH": str(tmp_path)}
    return {**os.environ, **isolated, "HOME": str(tmp_path)}


def _words(document: Path, env: dict[str, str]) -> list[tuple[str, tuple[float, ...]]]:
    """The words of page 1 with their boxes in points (pdftotext -bbox)."""
    out = subprocess.run(
        ["pdftotext", "-bbox", "-f", "1", "-l", "1", str(document), "-"],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout
    pattern = r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
    return [
        (html.unescape(m[5]), tuple(float(v) for v in m.groups()[:4]))
        for m in re.finditer(pattern, out)
    ]


@dataclass(frozen=True)
class Page:
    """A page rasterised in grey (one byte a pixel, 0 black), as pdftoppm -gray writes it."""

    width: int
    height: int
    pixels: bytes
    dpi: int

    def ink(self, box: tuple[float, ...]) -> int:
        """Dark pixels inside a box given in points (x0, y0, x1, y1 from the top left)."""
        x0, y0, x1, y1 = (round(v * self.dpi / 72) for v in box)
        x0, x1 = max(0, x0), min(self.width, max(x1, x0 + 1))
        y0, y1 = max(0, y0), min(self.height, max(y1, y0 + 1))
        rows = (self.pixels[y * self.width + x0 : y * self.width + x1] for y in range(y0, y1))
        return sum(1 for row in rows for value in row if value < 128)


def _page(document: Path, tmp_path: Path, env: dict[str, str], dpi: int = 150) -> Page:
    command = ["pdftoppm", "-r", str(dpi), "-f", "1", "-l", "1", "-gray", "-singlefile"]
    subprocess.run(
        [*command, str(document), str(tmp_path / "page")], check=True, env=env, capture_output=True
    )
    data = (tmp_path / "page.pgm").read_bytes()
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)  # a binary 8-bit PGM
    assert header, data[:20]
    width, height = int(header[1]), int(header[2])
    return Page(width, height, data[header.end() : header.end() + width * height], dpi)


@pytest.mark.django_db
def test_every_font_of_the_report_is_embedded(run, tmp_path):
    assert pdf.fonts() == (pdf.FONT, pdf.SYMBOLS), (
        "the PDF's fonts are missing: bash scripts/sysdeps.sh pdf "
        "(fonts-wqy-microhei, fonts-dejavu-core)"
    )
    with translation.override("zh-hans"):
        document = run_pdf(run, "zh-hans")
    assert b"/FontFile2" in document  # TrueType programs inside the file
    assert b"STSong-Light" not in document, "the CID font leaves the glyphs to the viewer"
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (Debian poppler-utils) absent: the embedding is checked above")
    path = tmp_path / "report.pdf"
    path.write_bytes(document)
    listing = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    assert listing, "pdffonts lists no font"
    # name, type (two words), encoding, emb, sub, uni, object, generation
    embedded = {line.split()[0]: line.split()[-5] for line in listing}
    assert all(flag == "yes" for flag in embedded.values()), listing
    assert any("WenQuanYi" in name for name in embedded), listing  # the CJK font
    assert any("DejaVu" in name for name in embedded), listing  # the symbol fallback (✗)


@NEEDS_POPPLER
@pytest.mark.django_db
def test_the_title_renders_without_any_system_font(run, tmp_path, no_system_fonts):
    with translation.override("zh-hans"):
        document = tmp_path / "report.pdf"
        document.write_bytes(run_pdf(run, "zh-hans"))
    words = dict(_words(document, no_system_fonts))
    for word in TITLE.split():
        assert word in words, (word, list(words)[:12])
    page = _page(document, tmp_path, no_system_fonts)
    for word in TITLE.split():  # each word of the title leaves ink where it is set
        x0, y0, x1, y1 = words[word]
        assert page.ink((x0, y0, x1, y1)) > 15 * len(word), word
    cases = next(w for w in words if w.startswith("250"))  # "250 cases used …"
    assert page.ink(words[cases]) > 20


@NEEDS_POPPLER
@pytest.mark.django_db
def test_a_font_left_to_the_viewer_comes_out_blank_here(
    run, tmp_path, no_system_fonts, monkeypatch
):
    """The control: the same page set in the old CID font renders no title in this
    environment, so the test above would catch a report that relies on the machine."""
    monkeypatch.setattr(pdf, "CJK_FONTS", ())
    pdf.fonts.cache_clear()
    pdf._covered.cache_clear()
    try:
        with translation.override("zh-hans"):
            document = tmp_path / "report.pdf"
            document.write_bytes(run_pdf(run, "zh-hans"))
    finally:
        monkeypatch.undo()
        pdf.fonts.cache_clear()
        pdf._covered.cache_clear()
    assert b"STSong-Light" in document.read_bytes()
    page = _page(document, tmp_path, no_system_fonts)
    assert page.ink((0, 0, 595, 130)) < 50  # the title band, across the page
