"""Demo: the satisfaction index on the demo's own questionnaire answers (网点满意度, a year of
answers in quarterly waves): one run comparing the waves, one comparing the branches' regions.
The synthetic two-wave CSV stays as an example data set to upload and try."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from django.utils import timezone

from manyi.analytics import spreadsheet
from manyi.analytics.modelfile import template, template_text
from manyi.analytics.synthetic import simulate_survey
from manyi.core.demo import DemoContext, demo_step
from manyi.org.actions import SYSTEM

from . import actions
from .models import Dataset

# Where the branches stand: waiting and complaint handling lag, counter staff shine.
ITEM_LEVELS = {
    "质量_等候时间": 0.48,
    "质量_投诉处理": 0.45,
    "质量_办理效率": 0.6,
    "质量_柜员态度": 0.82,
    "质量_网点环境": 0.8,
    "质量_专业解答": 0.66,
    "价值_收费合理": 0.55,
    "形象_值得信赖": 0.78,
}
PATHS = {
    ("品牌形象", "预期质量"): 0.5,
    ("品牌形象", "满意度"): 0.15,
    ("品牌形象", "忠诚度"): 0.15,
    ("预期质量", "感知质量"): 0.45,
    ("预期质量", "感知价值"): 0.05,
    ("预期质量", "满意度"): 0.05,
    ("感知质量", "感知价值"): 0.55,
    ("感知质量", "满意度"): 0.55,
    ("感知价值", "满意度"): 0.2,
    ("满意度", "抱怨"): 0.5,
    ("满意度", "忠诚度"): 0.55,
    ("抱怨", "忠诚度"): 0.05,
}


def survey_frame(seed: int, per_wave: int, branch_codes: list[str]) -> pd.DataFrame:
    model = template("china")
    waves = []
    for wave, (name, shift) in enumerate((("2026上半年", 0.0), ("2026下半年", 0.25))):
        frame = simulate_survey(
            model,
            per_wave,
            seed=seed + wave,
            paths=PATHS,
            item_levels=ITEM_LEVELS,
            shift={"感知质量": shift},
            dont_know_rate=0.004,
            missing_rate=0.002,
        )
        frame.insert(0, "波次", name)
        frame.insert(1, "网点", [branch_codes[i % len(branch_codes)] for i in range(per_wave)])
        waves.append(frame)
    survey = pd.concat(waves, ignore_index=True)
    survey.insert(0, "问卷编号", [f"Q{i + 1:05d}" for i in range(len(survey))])
    return survey


@demo_step("insight", order=60)
def make_survey_analysis(ctx: DemoContext) -> None:
    from manyi.surveys.models import Response

    branches = ctx.data.get("branches", {})
    codes = sorted(branches) or ["HQ"]
    per_wave = ctx.overrides.get("survey", 600)
    frame = survey_frame(ctx.seed, per_wave, codes)
    content = spreadsheet.frame_to_csv(frame, index=False).encode("utf-8-sig")
    example = actions.upload_dataset(
        SYSTEM,
        name="示例：网点满意度调查（两期，模拟数据）",
        filename="bank-survey-2026.csv",
        content=content,
        source=Dataset.Source.DEMO,
    )
    if Response.objects.filter(questionnaire__code="bank_branch").count() < 100:
        # a small demo: the index on the example file, so the pages have a run to show
        run = actions.start_run(
            SYSTEM,
            dataset=example,
            model_yaml=template_text("china"),
            options={"bootstrap": 200, "seed": 2026, "group": "波次"},
            title="示例：网点满意度指数（两期比较）",
        )
        ctx.log(f"insight: too few bank-branch answers; the example file's index {run.status}")
        return
    boot = ctx.overrides.get("index_bootstrap", 500)  # tests ask for fewer resamples
    today = timezone.localdate()
    first = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)  # this quarter's start
    for _back in range(3):  # and the three quarters before it: four whole waves
        first = (first - dt.timedelta(days=1)).replace(day=1)
        first = first.replace(month=3 * ((first.month - 1) // 3) + 1)
    dataset = actions.survey_dataset(
        SYSTEM,
        questionnaire="bank_branch",
        since=first,
        wave_by="quarter",
        name="网点满意度调查（近四个季度）",
    )
    for group, title in (
        ("wave", "网点满意度指数（按季度比较）"),
        ("region", "网点满意度指数（按区域比较）"),
    ):
        run = actions.start_run(
            SYSTEM,
            dataset=dataset,
            model_yaml=template_text("china"),
            options={"bootstrap": boot, "seed": 2026, "group": group},
            title=title,
            inline=True,
        )
        ctx.log(f"insight: {dataset.rows} answers, {title}: {run.status}")
    # The same questionnaire as a quarterly programme: each quarter's index, and the
    # current quarter so far, for the trend page and the dashboards.
    programme = actions.create_programme(
        SYSTEM,
        name="网点满意度季度测评",
        questionnaire="bank_branch",
        model_yaml=template_text("china"),
        starts_on=first,
        compare_by="region",
        bootstrap=min(boot, 300),
    )
    ended = actions.run_due_waves(SYSTEM, programme, inline=True)
    actions.run_wave(SYSTEM, programme, today, inline=True)
    ctx.log(f"insight: programme {programme.name}, {len(ended) + 1} waves")
