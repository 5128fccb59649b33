"""An analyst builds a two-block model with the editor on /insight/new/, picking the items
from a data set's columns: a block without items and a path to nowhere are shown as
problems beside them, fixed, and the YAML field then holds the model the run starts with."""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from manyi.analytics.modelfile import load_model

pytestmark = pytest.mark.django_db(transaction=True)

QUALITY = ["质量_等候", "质量_态度", "质量_效率"]
SATISFACTION = ["满意_总体", "满意_预期"]


def small_csv(rows: int = 60) -> bytes:
    """Answers on a 1-10 scale where quality drives satisfaction, and a text column."""
    rng = np.random.default_rng(18)
    quality = rng.standard_normal(rows)
    satisfaction = 0.7 * quality + 0.6 * rng.standard_normal(rows)

    def ten(latent: np.ndarray) -> np.ndarray:
        noisy = 6.5 + 1.5 * (latent + 0.5 * rng.standard_normal(rows))
        return np.clip(np.round(noisy), 1, 10).astype(int)

    columns = {name: ten(quality) for name in QUALITY}
    columns |= {name: ten(satisfaction) for name in SATISFACTION}
    lines = [",".join([*columns, "网点"])]
    for row in range(rows):
        values = [str(columns[name][row]) for name in columns]
        lines.append(",".join([*values, "SH01" if row % 2 else "BJ01"]))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def dataset(org):
    from manyi.insight import actions
    from manyi.org.actions import SYSTEM

    return actions.upload_dataset(
        SYSTEM, name="网点小样本", filename="branches.csv", content=small_csv()
    )


def pick(block, *names: str) -> None:
    """Open the block's item picker (unless open), search and choose each item."""
    picker = block.locator(".me-picker")
    if not picker.is_visible():
        block.locator("[data-action=pick]").click()
    for name in names:
        picker.locator("[data-field=search]").fill(name[:4])
        option = picker.locator(f".me-option[data-name='{name}']")
        option.click()
        expect(option).to_have_attribute("aria-pressed", "true")


def test_an_analyst_builds_a_model_with_the_editor(org, dataset, live_server, browser_page):
    from tests.browser.test_tickets import login

    page = browser_page
    login(page, live_server.url, "analyst")
    page.goto(f"{live_server.url}/insight/new/?dataset={dataset.pk}")
    editor = page.locator("#model-editor")
    expect(editor).to_be_visible()
    # The page opens on the China-style template, read into the editor; the YAML field is
    # hidden behind the switch, and the data set's columns are offered.
    blocks = page.locator("#me-blocks > li.me-block")
    expect(blocks).to_have_count(7)
    expect(page.locator("#id_model_yaml")).to_be_hidden()
    expect(page.locator("#me-source")).to_contain_text("6")

    # Start afresh: remove every block (their paths go with them).
    while blocks.count():
        blocks.first.locator("[data-action=remove-block]").click()
    expect(page.locator("#me-paths > li")).to_have_count(0)

    # The first block: a name, a label, a scale and three items from the columns.
    page.click("#me-add-block")
    quality = blocks.nth(0)
    quality.locator("[data-field=name]").fill("质量")
    quality.locator("[data-field=label-zh]").fill("服务质量")
    quality.locator("[data-field=scale-min]").fill("1")
    quality.locator("[data-field=scale-max]").fill("10")
    pick(quality, *QUALITY)
    expect(quality.locator(".me-item")).to_have_count(3)
    quality.locator("[data-action=close-picker]").click()

    # The second block, without items yet: the check says so beside it.
    page.click("#me-add-block")
    satisfaction = blocks.nth(1)
    satisfaction.locator("[data-field=name]").fill("满意")
    satisfaction.locator("[data-field=scale-min]").fill("1")
    satisfaction.locator("[data-field=scale-max]").fill("10")
    problems = satisfaction.locator("[data-part=problems]")
    expect(problems).to_be_visible()
    expect(problems).to_contain_text("满意")
    expect(satisfaction).to_have_class(re.compile("me-has-problem"))
    expect(page.locator("#me-verdict")).to_have_class(re.compile("me-bad"))

    # A path that leads nowhere yet is reported on its row.
    page.click("#me-add-path")
    path = page.locator("#me-paths > li.me-path").first
    expect(path.locator("[data-part=problems]")).to_be_visible()

    # Fixing both: the path from 质量 to 满意, and the items of 满意, the used ones marked.
    path.locator("[data-field=from]").select_option(label="质量（服务质量）")
    path.locator("[data-field=to]").select_option(label="满意")
    expect(path.locator("[data-part=problems]")).to_be_hidden()
    expect(satisfaction.locator(".me-picker")).to_be_visible()  # open since the block was added
    satisfaction.locator("[data-field=search]").fill("质量")
    used = satisfaction.locator(f".me-option[data-name='{QUALITY[0]}']")
    expect(used).to_have_class(re.compile("me-used"))
    expect(used).to_contain_text("质量")
    pick(satisfaction, *SATISFACTION)
    expect(problems).to_be_hidden()
    page.locator("#me-target").select_option(label="满意")
    expect(page.locator("#me-verdict")).to_have_class(re.compile("me-good"))
    expect(page.locator("#me-diagram svg g.me-node")).to_have_count(2)

    # The YAML field holds the model the editor shows, and load_model reads it.
    text = page.locator("#id_model_yaml").input_value()
    model = load_model(text)
    assert dict(model.path_model.blocks) == {"质量": QUALITY, "满意": SATISFACTION}
    assert list(model.path_model.paths) == [("质量", "满意")]
    assert model.target == "满意"
    assert model.scales == {name: (1, 10) for name in QUALITY + SATISFACTION}
    assert model.label("质量") == "服务质量"

    # The YAML stays editable: a change typed there is read back into the editor.
    page.click("#me-mode-yaml")
    expect(page.locator("#id_model_yaml")).to_be_visible()
    page.locator("#id_model_yaml").fill(text.replace("mode: A", "mode: B", 1))
    expect(page.locator("#me-verdict")).to_have_class(re.compile("me-good"))
    page.click("#me-mode-visual")
    expect(quality.locator("[data-field=mode]")).to_have_value("B")
    quality.locator("[data-field=mode]").select_option("A")
    expect(page.locator("#id_model_yaml")).to_have_value(re.compile(r"质量:\n(.*\n)*?\s+mode: A"))

    # The run starts with that model.
    page.fill("input[name=bootstrap]", "0")
    page.click("#run-analysis")
    page.wait_for_selector("#run-status")
    from manyi.insight.models import AnalysisRun

    run = AnalysisRun.objects.get()
    assert run.status == AnalysisRun.Status.DONE, run.error
    assert load_model(run.model_yaml).path_model.blocks == model.path_model.blocks
