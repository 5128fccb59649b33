"""Survey data handling and the model file format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from manyi.analytics.modelfile import dump_model, load_model, template, template_names
from manyi.analytics.pls import PLSError, fit
from manyi.analytics.survey import ItemSpec, prepare, read_bytes
from manyi.analytics.tests.test_pls import DATA, PUBLISHED_PATHS

MINIMAL = """
blocks:
  Quality: {items: [PERQ1, PERQ2, PERQ3], mode: A, scale: [1, 10]}
  Satisfaction: {items: [CUSA1, CUSA2, CUSA3], scale: [1, 10]}
paths:
  - [Quality, Satisfaction]
target: Satisfaction
"""


def test_minimal_model_file_is_accepted_as_it_stands():
    model = load_model(MINIMAL)
    assert model.path_model.paths == [("Quality", "Satisfaction")]
    assert model.scales["PERQ2"] == (1, 10)
    assert model.target == "Satisfaction"
    chinese = load_model(MINIMAL.replace("Quality", "感知质量").replace("Satisfaction", "满意度"))
    assert chinese.target == "满意度"
    assert chinese.path_model.predecessors("满意度") == ["感知质量"]


def test_richer_forms_and_round_trip():
    model = load_model(
        """
name: 测试
dont_know: [99]
blocks:
  形象: {items: [a1, {name: a2, reverse: true, label: 不太可靠}], scale: "1-5", label: 企业形象}
  满意: {items: [b1, b2], scale: [0, 10], dont_know: [11]}
items:
  b2: {scale: [1, 7]}
paths:
  - 形象 -> 满意
target: 满意
"""
    )
    assert model.items["a2"].reverse and model.items["a2"].label == "不太可靠"
    assert model.items["a1"].dont_know == (99,)
    assert model.items["b1"].dont_know == (11,)
    assert model.scales == {"a1": (1, 5), "a2": (1, 5), "b1": (0, 10), "b2": (1, 7)}
    assert model.label("形象") == "企业形象"
    again = load_model(dump_model(model))
    assert again.items == model.items and again.path_model.paths == model.path_model.paths


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("blocks: [oops", "line"),
        ("paths: []", "blocks"),
        ("blocks: {A: {items: [x], scale: [5, 1]}}", "maximum"),
        ("blocks: {A: {items: [x]}}\npaths: [A => B]", "Source -> Target"),
        ("blocks: {A: {items: [x]}, B: {items: [y]}}\npaths: [[A, C]]", "no construct 'C'"),
        ("blocks: {A: {items: [x]}}\ntarget: Z", "target"),
        ("blocks: {A: {items: [x], mode: C}}", "mode"),
    ],
)
def test_model_file_mistakes_are_explained(text, message):
    with pytest.raises(PLSError, match=message) as caught:
        load_model(text)
    assert caught.value.zh  # a Chinese message for the web app


def test_templates_load_and_ecsi_reproduces_the_published_paths():
    assert set(template_names()) >= {"acsi", "ecsi", "china"}
    china = template("china")
    assert china.target == "满意度"
    assert set(china.path_model.blocks) == {
        "品牌形象",
        "预期质量",
        "感知质量",
        "感知价值",
        "满意度",
        "抱怨",
        "忠诚度",
    }
    ecsi = template("ecsi")
    result = fit(pd.read_csv(DATA), ecsi.path_model)
    for (source, target), published in PUBLISHED_PATHS.items():
        assert result.paths.loc[source, target] == pytest.approx(published, abs=1e-6)


def test_dont_know_codes_reverse_coding_and_missing_values_are_reported():
    data = pd.DataFrame(
        {
            "q1": [1, 2, 99, 4, 5, "", 3],
            "q2": ["5", "４", "3", "不知道", "1", "2", "3"],  # full-width digit
            "w": [1, 1, 2, 2, 1, 1, 1],
        }
    )
    specs = {
        "q1": ItemSpec(scale=(1, 5), dont_know=(99,)),
        "q2": ItemSpec(scale=(1, 5), reverse=True, dont_know=("不知道",)),
    }
    casewise = prepare(data, ["q1", "q2"], specs, weights_column="w")
    assert casewise.report["dropped_cases"] == 3
    assert casewise.report["items"]["q1"] == {"dont_know": 1, "missing": 1, "reversed": False}
    assert casewise.report["items"]["q2"]["dont_know"] == 1
    assert casewise.frame["q2"].tolist() == [1, 2, 5, 3]  # reversed: 6 - x
    assert casewise.frame.index.tolist() == [0, 1, 4, 6]
    assert casewise.sample_weights.tolist() == [1, 1, 1, 1]
    mean = prepare(data, ["q1", "q2"], specs, missing="mean")
    assert mean.report["n_used"] == 7 and mean.report["replaced_values"] == 3
    assert mean.frame["q1"].iloc[2] == pytest.approx(np.mean([1, 2, 4, 5, 3]))


def test_bad_answers_are_refused_with_their_row():
    with pytest.raises(PLSError, match=r"row 4") as caught:
        prepare(pd.DataFrame({"q": [1, 2, "abc"]}), ["q"], {"q": ItemSpec(scale=(1, 5))})
    assert "第 4 行" in caught.value.zh
    with pytest.raises(PLSError, match=r"outside its scale 1-5 \(first: 7 on row 3\)"):
        prepare(pd.DataFrame({"q": [1, 7, 2]}), ["q"], {"q": ItemSpec(scale=(1, 5))})
    with pytest.raises(PLSError, match="without variance"):
        prepare(pd.DataFrame({"q": [3, 3, 3]}), ["q"], {})
    with pytest.raises(PLSError, match="not in the data: z"):
        prepare(pd.DataFrame({"q": [3]}), ["z"], {})


def test_files_in_chinese_encodings_and_excel():
    frame = pd.DataFrame({"满意_总体": [8, 9], "网点": ["北京", "上海"]})
    assert read_bytes(frame.to_csv(index=False).encode("gb18030"), "a.csv").equals(frame)
    assert read_bytes(frame.to_csv(index=False).encode("utf-8-sig"), "a.csv").equals(frame)
    import io

    buffer = io.BytesIO()
    frame.to_excel(buffer, index=False)
    assert read_bytes(buffer.getvalue(), "a.xlsx").equals(frame)
    with pytest.raises(PLSError, match="CSV or Excel"):
        read_bytes(b"x", "a.pdf")
    with pytest.raises(PLSError, match="cannot be read"):
        read_bytes(b"not a workbook", "a.xlsx")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: [*b,*b,*b]\n",
            "aliases",
        ),
        ("[" * 5000 + "]" * 5000, "nested"),
        ("constructs:\n" + "".join("  " * i + "- \n" for i in range(1, 80)), "nested"),
        ("x" * 1_000_001, "longer"),
    ],
)
def test_model_files_that_would_exhaust_memory_are_refused(text, message):
    """A few lines of nested aliases expand to gigabytes; deep nesting overflows the stack."""
    from manyi.analytics.modelfile import load_model

    with pytest.raises(PLSError, match=message) as refused:
        load_model(text)
    assert refused.value.zh and refused.value.zh != str(refused.value)
