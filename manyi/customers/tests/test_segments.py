"""Segment rules in words, and the rule builder that writes them (issue: rules were raw JSON)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.datastructures import MultiValueDict

from manyi.customers import actions, segments
from manyi.customers.forms import condition_formset, rule_initial
from manyi.customers.models import Customer, Segment
from manyi.org.models import AuditEntry
from tests.crawl.crawler import foreign_words, read_page

pytestmark = pytest.mark.django_db


def sent(name: str, rows: list[dict[str, Any]], **fields: str) -> MultiValueDict:
    """What the builder page sends: the segment's fields and one block per row."""
    data = MultiValueDict(
        {
            "name": [name],
            "description": [fields.get("description", "")],
            "strategy": [fields.get("strategy", "")],
            "condition-TOTAL_FORMS": [str(len(rows))],
            "condition-INITIAL_FORMS": ["0"],
            "condition-MIN_NUM_FORMS": ["0"],
            "condition-MAX_NUM_FORMS": ["20"],
        }
    )
    for i, row in enumerate(rows):
        prefix = f"condition-{i}-"
        op = row.get("op", "eq")
        shown = row.get("shown", f"{row.get('field', '')}:{'many' if op == 'in' else 'one'}")
        value = row.get("value", [])
        data.setlist(prefix + "field", [row.get("field", "")])
        data.setlist(prefix + "op", [op])
        data.setlist(prefix + "value", value if isinstance(value, list) else [value])
        data.setlist(prefix + "shown", [shown])
        if row.get("DELETE"):
            data.setlist(prefix + "DELETE", ["on"])
    return data


def posted(data: MultiValueDict) -> dict[str, list[str]]:
    """The same for the test client, which sends a list as repeated fields."""
    return dict(data.lists())


def built(user, rows: list[dict[str, Any]]):
    formset = condition_formset(user, sent("x", rows))
    formset.is_valid()
    return formset


def value_errors(formset) -> list[str]:
    return [message for form in formset.forms for message in form.errors.get("value", [])]


# ---- In words -------------------------------------------------------------------------------


def test_rules_in_words_name_fields_comparisons_and_values_by_their_labels(org):
    rules = [
        {"field": "tier", "op": "in", "value": ["key", "vip"]},
        {"field": "r_score", "op": "lte", "value": 2},
        {"field": "tag", "op": "eq", "value": "老客户"},
        {"field": "branch", "op": "ne", "value": "A1"},
        {"field": "callback_consent", "op": "eq", "value": True},
        {"field": "gender", "op": "eq", "value": ""},
        {"field": "preferred_channel", "op": "eq", "value": "wechat"},
    ]
    with translation.override("en"):
        assert segments.describe_rules(rules) == [
            "Tier is one of Key account, VIP",
            "Recency score is at most 2",
            "Tag has 老客户",
            "Branch is not 上海一支行 (A1)",
            "Agrees to callbacks is Yes",
            "Gender is Unknown",
            "Preferred channel is WeChat",
        ]
        assert segments.describe(rules[:2]) == (
            "Tier is one of Key account, VIP and Recency score is at most 2"
        )
        assert segments.describe([]) == "All customers"


def test_rules_in_chinese(org):
    """Needs the Chinese catalogue with this module's strings (merged from the helper's list)."""
    rules = [
        {"field": "tier", "op": "eq", "value": "vip"},
        {"field": "r_score", "op": "lte", "value": 2},
        {"field": "kind", "op": "in", "value": ["person", "organisation"]},
    ]
    with translation.override("zh-hans"):
        assert segments.describe(rules) == (
            "客户等级 等于 VIP 且 最近购买得分 不超过 2 且 客户类型 属于其中之一 个人、机构"
        )
        assert segments.describe([{"field": "tag", "op": "ne", "value": "投诉过"}]) == (
            "标签 不包含 投诉过"
        )


def test_words_never_break_on_odd_stored_rules(org):
    with translation.override("en"):
        assert segments.describe_rules([{"field": "tier", "op": "eq", "value": "gold"}]) == [
            "Tier is gold"  # a code no choice knows is shown as it is
        ]
        assert segments.describe_rules([{"field": "height", "op": "gt", "value": 1}]) == [
            "{'field': 'height', 'op': 'gt', 'value': 1}"
        ]
        assert segments.describe_rules("oops") == ["oops"]


def test_branch_names_cost_one_query_for_a_whole_list(org, django_assert_num_queries):
    lists = [
        [{"field": "branch", "op": "eq", "value": "A1"}],
        [{"field": "branch", "op": "in", "value": ["A2", "B1"]}],
        [{"field": "tier", "op": "eq", "value": "key"}],
    ]
    with django_assert_num_queries(1):
        names = segments.branch_names(lists)
    assert names == {"A1": "上海一支行 (A1)", "A2": "杭州支行 (A2)", "B1": "北京支行 (B1)"}
    with django_assert_num_queries(0):
        segments.describe(lists[1], names)


# ---- The builder ----------------------------------------------------------------------------


def test_the_builder_writes_the_rules_the_engine_takes(org):
    formset = built(
        org.manager,
        [
            {"field": "tier", "op": "in", "value": ["key", "vip"]},
            {"field": "r_score", "op": "lte", "value": "2"},
            {"field": "callback_consent", "op": "eq", "value": "true"},
            {"field": "branch", "op": "eq", "value": "A1"},
            {"field": "city", "op": "in", "value": "上海、 杭州,上海"},
            {"field": "", "op": "eq", "value": ""},  # an empty row is no condition
            {"field": "tag", "op": "eq", "value": "老客户", "DELETE": True},  # removed
        ],
    )
    assert formset.is_valid(), formset.errors
    rules = formset.rules()
    assert rules == [
        {"field": "tier", "op": "in", "value": ["key", "vip"]},
        {"field": "r_score", "op": "lte", "value": 2},
        {"field": "callback_consent", "op": "eq", "value": True},
        {"field": "branch", "op": "eq", "value": "A1"},
        {"field": "city", "op": "in", "value": ["上海", "杭州"]},
    ]
    segments.validate_rules(rules)


def test_round_trip_rules_to_rows_to_rules_to_words(org, people):
    rules = [
        {"field": "tier", "op": "in", "value": ["key", "vip"]},
        {"field": "m_score", "op": "gte", "value": 4},
        {"field": "birth_year", "op": "in", "value": [1980, 1990]},
        {"field": "gender", "op": "eq", "value": ""},
        {"field": "callback_consent", "op": "ne", "value": False},
        {"field": "income_band", "op": "eq", "value": "1万-3万"},
        {"field": "tag", "op": "in", "value": ["老客户"]},
        {"field": "branch", "op": "in", "value": ["A1", "B1"]},
    ]
    rows = [rule_initial(rule) for rule in rules]
    formset = built(org.manager, rows)
    assert formset.is_valid(), formset.errors
    assert formset.rules() == rules
    with translation.override("en"):
        assert segments.describe(formset.rules()) == segments.describe(rules)
    # and the page shows those rows as they were
    shown = condition_formset(org.manager, rules=rules)
    assert [form.initial for form in shown.forms] == rows
    assert [form.shown_for for form in shown.forms][:2] == ["tier:many", "m_score:one"]


def test_each_row_offers_the_comparisons_and_values_its_attribute_needs(org):
    rules = [
        {"field": "tier", "op": "eq", "value": "vip"},
        {"field": "tier", "op": "in", "value": ["vip"]},
        {"field": "r_score", "op": "gte", "value": 4},
        {"field": "branch", "op": "eq", "value": "A1"},
        {"field": "city", "op": "eq", "value": "上海"},
    ]
    with translation.override("en"):
        forms = condition_formset(org.agent_a1, rules=rules).forms
        widgets = [form.fields["value"].widget for form in forms]
        assert type(widgets[0]).__name__ == "Select"
        assert [label for _v, label in widgets[0].choices][:2] == ["Key account", "VIP"]
        assert type(widgets[1]).__name__ == "CheckboxSelectMultiple"
        assert widgets[2].input_type == "number" and widgets[2].attrs["max"] == 5
        # an agent is offered their own branch
        assert widgets[3].choices == [("A1", "上海一支行 (A1)")]
        assert widgets[4].attrs["list"] == "segment-values-city"
        ops = [dict(form.fields["op"].widget.choices) for form in forms]
        assert list(ops[0]) == ["eq", "ne", "in"]
        assert ops[2]["lte"] == "is at most" and len(ops[2]) == 7


def test_a_branch_the_editor_cannot_see_stays_on_offer(org):
    rules = [{"field": "branch", "op": "eq", "value": "B1"}]
    form = condition_formset(org.agent_a1, rules=rules).forms[0]
    assert form.fields["value"].widget.choices == [
        ("A1", "上海一支行 (A1)"),
        ("B1", "北京支行 (B1)"),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"field": "r_score", "op": "gte", "value": "很多"}, "needs a whole number"),
        ({"field": "r_score", "op": "gte", "value": "9"}, "runs from 1 to 5"),
        ({"field": "tier", "op": "eq", "value": ""}, "is not one of the choices"),
        ({"field": "city", "op": "eq", "value": " "}, "Choose or type a value for City"),
        ({"field": "tier", "op": "in", "value": []}, "Choose or type a value for Tier"),
        ({"field": "tier", "op": "eq", "value": ["key", "vip"]}, "Only one value"),
        ({"field": "tag", "op": "eq", "value": "没有这个标签"}, "not one of the choices for Tag"),
    ],
)
def test_bad_values_get_a_clear_message_on_their_row(org, row, message):
    with translation.override("en"):
        formset = built(org.manager, [row])
        assert not formset.is_valid()
        assert any(message in error for error in value_errors(formset)), value_errors(formset)


def test_a_comparison_that_does_not_fit_the_attribute_is_refused(org):
    with translation.override("en"):
        formset = built(org.manager, [{"field": "tier", "op": "gt", "value": "vip"}])
        assert not formset.is_valid()
        assert formset.forms[0].errors["op"] == [
            "Tier cannot be compared with “is more than”; choose another comparison."
        ]


def test_a_value_given_before_the_attribute_changed_is_read_when_it_fits(org):
    """Without JavaScript the value picker is the one of the attribute chosen before: a
    typed label is taken when it names a choice, and otherwise the row asks again."""
    formset = built(
        org.manager,
        [
            {"field": "tier", "op": "eq", "value": "VIP", "shown": ":one"},
            {"field": "kind", "op": "in", "value": "个人、organisation", "shown": "city:one"},
            {"field": "branch", "op": "eq", "value": "北京支行", "shown": ":one"},
        ],
    )
    assert formset.is_valid(), formset.errors
    assert formset.rules() == [
        {"field": "tier", "op": "eq", "value": "vip"},
        {"field": "kind", "op": "in", "value": ["person", "organisation"]},
        {"field": "branch", "op": "eq", "value": "B1"},
    ]
    blank = built(org.manager, [{"field": "gender", "op": "eq", "value": "", "shown": ":one"}])
    assert not blank.is_valid()  # an empty text box is not "gender unknown"
    picked = built(org.manager, [{"field": "gender", "op": "eq", "value": ""}])
    assert picked.rules() == [{"field": "gender", "op": "eq", "value": ""}]


def test_a_segment_needs_a_condition_and_at_most_twenty(org):
    with translation.override("en"):
        empty = built(org.manager, [{"field": "", "op": "eq", "value": ""}])
        assert not empty.is_valid()
        assert empty.non_form_errors() == ["Add at least one condition."]
        many = built(org.manager, [{"field": "r_score", "op": "gte", "value": "1"}] * 21)
        assert not many.is_valid()
        assert many.non_form_errors() == ["A segment can have at most 20 conditions."]


# ---- The pages ------------------------------------------------------------------------------


def english_shown(html: str) -> list[str]:
    texts, _links = read_page(html)
    return [word for text in texts for word in foreign_words(text)]


def test_a_manager_builds_a_segment_and_reads_it_in_words(org, people, login):
    client = login(org.manager)
    page = client.get("/customers/segments/new/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="condition-0-field"' in html and "manyi/segments.js" in html
    response = client.post(
        "/customers/segments/new/",
        posted(
            sent(
                "上海大客户",
                [
                    {"field": "tier", "op": "in", "value": ["key", "vip"]},
                    {"field": "branch", "op": "eq", "value": "A1"},
                ],
                strategy="一对一服务",
            )
        ),
    )
    segment = Segment.objects.get(name="上海大客户")
    assert (
        response.status_code == 302 and response["Location"] == f"/customers/segments/{segment.pk}/"
    )
    assert segment.rules == [
        {"field": "tier", "op": "in", "value": ["key", "vip"]},
        {"field": "branch", "op": "eq", "value": "A1"},
    ]
    assert AuditEntry.objects.filter(action="customers.segment.save", object_id=str(segment.pk))
    detail = client.get(f"/customers/segments/{segment.pk}/").content.decode()
    assert "张伟" in detail and "王芳" not in detail
    assert "上海一支行 (A1)" in detail
    listing = client.get("/customers/segments/").content.decode()
    assert "上海一支行 (A1)" in listing
    for words in (english_shown(detail), english_shown(listing)):
        assert not {"tier", "in", "eq", "branch", "key", "vip"} & set(words), words


def test_bad_input_keeps_everything_typed(org, people, login):
    client = login(org.manager)
    response = client.post(
        "/customers/segments/new/",
        posted(
            sent(
                "沉睡客户",
                [
                    {"field": "tier", "op": "in", "value": ["key"]},
                    {"field": "r_score", "op": "lte", "value": "两分"},
                ],
                strategy="电话回访",
                description="很久没来",
            )
        ),
    )
    assert response.status_code == 200 and not Segment.objects.exists()
    html = response.content.decode()
    assert 'value="沉睡客户"' in html and "电话回访" in html and 'value="很久没来"' in html
    assert 'value="两分"' in html and re.search(r'value="key"[^>]*checked', html)
    assert not re.search(r'value="vip"[^>]*checked', html)
    form = response.context["conditions"].forms[1]
    assert form.errors["value"]


def test_a_taken_name_is_refused_next_to_the_name(org, people, login):
    actions.save_segment(
        org.manager, name="大客户", rules=[{"field": "tier", "op": "eq", "value": "key"}]
    )
    client = login(org.manager)
    response = client.post(
        "/customers/segments/new/",
        posted(sent("大客户", [{"field": "tier", "op": "eq", "value": "vip"}])),
    )
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert Segment.objects.get().rules[0]["value"] == "key"


def test_editing_changes_the_conditions(org, people, login):
    segment = actions.save_segment(
        org.manager, name="大客户", rules=[{"field": "tier", "op": "eq", "value": "key"}]
    )
    client = login(org.manager)
    page = client.get(f"/customers/segments/{segment.pk}/edit/")
    assert page.status_code == 200
    assert page.context["conditions"].forms[0].initial == rule_initial(segment.rules[0])
    data = sent(
        "大客户",
        [
            {"field": "tier", "op": "eq", "value": "key", "DELETE": True},
            {"field": "kind", "op": "eq", "value": "organisation"},
        ],
    )
    data["condition-INITIAL_FORMS"] = "1"
    response = client.post(f"/customers/segments/{segment.pk}/edit/", posted(data))
    assert response.status_code == 302
    segment.refresh_from_db()
    assert segment.rules == [{"field": "kind", "op": "eq", "value": "organisation"}]
    detail = client.get(f"/customers/segments/{segment.pk}/").content.decode()
    assert "赵文" in detail and "张伟" not in detail


def test_add_a_condition_without_javascript(org, login):
    client = login(org.manager)
    data = sent(
        "新分群",
        [
            {"field": "r_score", "op": "gte", "value": "4"},
            {"field": "tier", "op": "eq", "value": "vip", "DELETE": True},
        ],
    )
    data["add_condition"] = "1"
    response = client.post("/customers/segments/new/", posted(data))
    assert response.status_code == 200 and not Segment.objects.exists()
    rows = response.context["conditions"].forms
    assert [form.initial for form in rows] == [
        {"field": "r_score", "op": "gte", "value": ["4"]},
        {},
    ]
    html = response.content.decode()
    assert 'value="新分群"' in html and 'name="condition-1-field"' in html
    assert not any(form.errors for form in rows)  # nothing is checked before saving


def test_only_those_who_may_build_segments_see_the_builder(org, login):
    segment = actions.save_segment(
        org.manager, name="大客户", rules=[{"field": "tier", "op": "eq", "value": "key"}]
    )
    client = login(org.agent_a1)
    assert client.get("/customers/segments/new/").status_code == 403
    assert client.get(f"/customers/segments/{segment.pk}/edit/").status_code == 403
    assert client.post("/customers/segments/", {}).status_code == 405
    listing = client.get("/customers/segments/").content.decode()
    assert "/customers/segments/new/" not in listing
    assert "/edit/" not in client.get(f"/customers/segments/{segment.pk}/").content.decode()


def test_the_builder_page_asks_the_database_a_fixed_number_of_times(
    org, people, login, django_assert_max_num_queries
):
    client = login(org.manager)
    Customer.objects.update(city="上海")
    with django_assert_max_num_queries(20):
        client.get("/customers/segments/new/")


@pytest.mark.parametrize(
    ("rule", "told"),
    [
        ({"field": "tier", "op": "eq"}, "客户等级需要一个值"),
        ({"field": "tier", "op": "eq", "value": None}, "客户等级需要一个值"),
        ({"field": "tier", "op": "in", "value": []}, "客户等级需要一个值"),
        ({"field": "tier", "op": "eq", "value": ["vip"]}, "客户等级需要文本值"),
        ({"field": "tier", "op": "eq", "value": {"a": 1}}, "客户等级需要文本值"),
        ({"field": "r_score", "op": "gte", "value": True}, "需要数字"),
    ],
)
def test_rules_a_person_could_send_that_would_break_the_query_are_refused(rule, told):
    with pytest.raises(ValidationError) as refused:
        segments.validate_rules([rule])
    assert told in " ".join(refused.value.messages)
