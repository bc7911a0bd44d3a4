"""The pure rules of submission (``applications/rules.py``): one finding per broken rule, named by
section, field and code, and hypothesis properties of the budget arithmetic. No database."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from applications import rules
from applications.problems import message_of
from applications.rules import BudgetCell, CallRules, Doc, Member, Unit

NOW = datetime(2021, 6, 1, 9, 0, tzinfo=UTC)
LEAD = Unit("重庆大学", "LEAD0000000000001", frozenset({"CQ"}))
PARTNER = Unit("四川大学", "PART0000000000001", frozenset({"SC"}))
CATEGORIES = ("equipment", "operating", "labour", "indirect")
SOURCES = ("sc_gov", "cq_gov", "self")


def call_rules(**changes: object) -> CallRules:
    values = {
        "cap": Decimal("2000000.00"),
        "max_indirect_rate": Decimal("0.2"),
        "min_self_raised_ratio": Decimal("0"),
        "min_duration_months": 12,
        "max_duration_months": 36,
        "pi_limit": 1,
        "member_limit": 2,
        "submit_deadline": NOW + timedelta(days=20),
        "is_open": True,
    }
    values.update(changes)
    return CallRules(**values)


def good_doc(**changes: object) -> Doc:
    """A document of a Chongqing-led application that passes every rule."""
    values = {
        "call": call_rules(),
        "province": "CQ",
        "now": NOW,
        "task_ok": True,
        "title": "面向川渝的智能诊断系统研究",
        "start_date": date(2022, 1, 1),
        "duration_months": 36,
        "abstract": "摘要",
        "aims": "目标",
        "technical_route": "路线",
        "foundation": "基础",
        "lead": LEAD,
        "partners": (PARTNER,),
        "team": (
            Member("项目负责人", "PI-ID", "pi", date(1980, 5, 17)),
            Member("合作者", "CORE-ID", "core", date(1985, 1, 1)),
        ),
        "indicators": (("technical", 24), ("economic", 36)),
        "milestones": ((1, 12), (13, 36)),
        "budget": (
            BudgetCell(LEAD.uscc, "equipment", "cq_gov", Decimal("500000")),
            BudgetCell(LEAD.uscc, "operating", "cq_gov", Decimal("300000")),
            BudgetCell(LEAD.uscc, "indirect", "cq_gov", Decimal("100000")),
            BudgetCell(LEAD.uscc, "operating", "self", Decimal("400000")),
            BudgetCell(PARTNER.uscc, "labour", "sc_gov", Decimal("200000")),
        ),
        "attachments": frozenset(rules.REQUIRED_ATTACHMENTS),
        "committed": True,
    }
    values.update(changes)
    return Doc(**values)


def codes(doc: Doc, cap: Decimal | None = None) -> set[tuple[str, str]]:
    return {(finding.field, finding.code) for finding in rules.problems(doc, cap)}


def test_the_good_document_has_no_finding():
    assert rules.problems(good_doc()) == []


# --- Basics -------------------------------------------------------------------------------


def test_it_refuses_a_call_that_is_not_open():
    assert ("call", "call_closed") in codes(good_doc(call=call_rules(is_open=False)))


def test_it_refuses_a_deadline_passed_one_second_ago():
    call = call_rules(submit_deadline=NOW - timedelta(seconds=1))
    assert ("call", "deadline_passed") in codes(good_doc(call=call))


def test_it_accepts_a_submission_at_the_deadline_itself():
    assert codes(good_doc(call=call_rules(submit_deadline=NOW))) == set()


@pytest.mark.parametrize("months", [11, 37, 0])
def test_it_refuses_a_duration_outside_the_calls_range(months):
    findings = rules.problems(good_doc(duration_months=months, indicators=(("technical", 1), ("social", 1))))
    (finding,) = [f for f in findings if f.code == "duration_range"]
    assert finding.field == "duration_months"
    assert finding.param("min") == "12"
    assert finding.param("max") == "36"
    assert finding.param("got") == str(months)


@pytest.mark.parametrize("months", [12, 36])
def test_it_accepts_a_duration_at_either_end_of_the_range(months):
    doc = good_doc(
        duration_months=months, indicators=(("technical", 1), ("social", 12)), milestones=((1, 12),)
    )
    assert codes(doc) == set()


def test_it_refuses_a_lead_unit_that_is_not_of_the_province_it_applies_to():
    doc = good_doc(province="SC", lead=LEAD, partners=(Unit("另一所重庆单位", "CQ2", frozenset({"CQ"})),))
    findings = [f for f in rules.problems(doc) if f.code == "lead_province"]
    assert [(f.field, f.param("province")) for f in findings] == [("lead_unit", "SC")]


def test_it_accepts_a_lead_unit_only_located_in_the_province():
    lead = replace(LEAD, provinces=frozenset({"OTHER", "CQ"}))
    assert codes(good_doc(lead=lead)) == set()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"task_ok": False}, "guide_task"),
        ({"title": "   "}, "title"),
        ({"start_date": None}, "start_date"),
        ({"duration_months": None}, "duration_months"),
        ({"lead": None}, "lead_unit"),
        ({"abstract": ""}, "abstract"),
        ({"aims": " "}, "aims"),
        ({"technical_route": ""}, "technical_route"),
        ({"foundation": "\n"}, "foundation"),
    ],
)
def test_it_refuses_a_missing_basic_or_content_field(change, field):
    assert (field, "required") in codes(good_doc(**change))


# --- Partners -----------------------------------------------------------------------------


def test_it_refuses_an_application_without_partners():
    findings = rules.problems(good_doc(partners=(), budget=good_doc().budget[:4]))
    assert [(f.field, f.code, f.param("province")) for f in findings] == [("partners", "no_partner", "SC")]


def test_it_refuses_partners_only_of_the_same_province():
    same = Unit("另一所重庆单位", "CQ2", frozenset({"CQ"}))
    findings = rules.problems(good_doc(partners=(same,)))
    assert ("partners", "no_partner", "SC") in [(f.field, f.code, f.param("province")) for f in findings]


def test_it_refuses_a_partner_that_is_the_lead_unit_itself():
    lead_as_partner = replace(LEAD, provinces=frozenset({"SC", "CQ"}))
    found = codes(good_doc(partners=(lead_as_partner,)))
    assert ("partners[0].uscc", "partner_is_lead") in found
    # The lead unit listed as a partner does not make the bid joint, whatever its provinces.
    assert ("partners", "no_partner") in found


def test_it_refuses_the_same_partner_twice():
    assert ("partners[1].uscc", "partner_twice") in codes(good_doc(partners=(PARTNER, PARTNER)))


def test_it_refuses_a_named_partner_without_its_sealed_form():
    named = Unit("成都某公司", "NAMED000000000001", frozenset({"SC"}), named=True, has_form=False)
    assert ("partners[1].form", "partner_form_missing") in codes(good_doc(partners=(PARTNER, named)))


def test_it_accepts_a_named_partner_with_its_sealed_form():
    named = Unit("成都某公司", "NAMED000000000001", frozenset({"SC"}), named=True, has_form=True)
    assert codes(good_doc(partners=(named,), budget=good_doc().budget[:4])) == set()


# --- Team ---------------------------------------------------------------------------------


@pytest.mark.parametrize("leaders", [0, 2])
def test_it_refuses_a_team_without_exactly_one_leader(leaders):
    team = tuple(Member(f"负责人{i}", f"ID{i}", "pi") for i in range(leaders)) + (
        Member("成员", "M", "member"),
    )
    findings = [f for f in rules.problems(good_doc(team=team)) if f.code == "one_leader"]
    assert [f.param("got") for f in findings] == [str(leaders)]


def test_it_refuses_a_project_leader_over_the_pi_limit():
    team = (Member("负责人", "PI-ID", "pi", other_led=1), Member("合作者", "CORE-ID", "core"))
    findings = [f for f in rules.problems(good_doc(team=team)) if f.code == "pi_limit"]
    assert [(f.field, f.param("limit"), f.param("other")) for f in findings] == [
        ("team[0].id_number", "1", "1")
    ]


def test_it_accepts_a_project_leader_within_a_higher_pi_limit():
    team = (Member("负责人", "PI-ID", "pi", other_led=1), Member("合作者", "CORE-ID", "core"))
    assert codes(good_doc(team=team, call=call_rules(pi_limit=2))) == set()


def test_it_refuses_a_member_over_the_member_limit():
    team = (Member("负责人", "PI-ID", "pi"), Member("合作者", "CORE-ID", "core", other_joined=2))
    assert ("team[1].id_number", "member_limit") in codes(good_doc(team=team))


def test_it_accepts_a_member_in_one_other_application_with_member_limit_two():
    team = (Member("负责人", "PI-ID", "pi"), Member("合作者", "CORE-ID", "core", other_joined=1))
    assert codes(good_doc(team=team)) == set()


def test_it_refuses_a_project_leader_born_before_the_calls_date():
    call = call_rules(pi_born_after=date(1980, 5, 18))
    assert ("team[0].birth_date", "pi_too_old") in codes(good_doc(call=call))


def test_it_accepts_a_project_leader_born_on_the_calls_date():
    assert codes(good_doc(call=call_rules(pi_born_after=date(1980, 5, 17)))) == set()


def test_it_refuses_the_same_person_twice_in_the_team():
    team = (Member("负责人", "PI-ID", "pi"), Member("又是负责人", "PI-ID", "core"))
    assert ("team[1].id_number", "member_twice") in codes(good_doc(team=team))


# --- Indicators and milestones ------------------------------------------------------------


def test_it_refuses_indicators_without_a_technical_one():
    found = codes(good_doc(indicators=(("economic", 12), ("social", 12))))
    assert found == {("indicators", "no_technical")}


@pytest.mark.parametrize("kind", ["economic", "social"])
def test_it_accepts_either_an_economic_or_a_social_indicator(kind):
    assert codes(good_doc(indicators=(("technical", 12), (kind, 12)))) == set()


def test_it_refuses_indicators_without_an_economic_or_social_one():
    found = codes(good_doc(indicators=(("technical", 12), ("technical", 24))))
    assert found == {("indicators", "no_economic_or_social")}


def test_it_refuses_an_indicator_due_after_the_end():
    findings = rules.problems(good_doc(indicators=(("technical", 37), ("economic", 36))))
    assert [(f.field, f.code, f.param("month"), f.param("months")) for f in findings] == [
        ("indicators[0].due_month", "after_end", "37", "36")
    ]


def test_it_refuses_missing_milestones():
    assert codes(good_doc(milestones=())) == {("milestones", "required")}


def test_it_refuses_a_milestone_after_the_end_or_backwards():
    found = codes(good_doc(milestones=((1, 37), (20, 10))))
    assert found == {("milestones[0].to_month", "after_end"), ("milestones[1].from_month", "month_order")}


# --- Budget -------------------------------------------------------------------------------


def cell(category: str, source: str, amount: str, uscc: str = LEAD.uscc) -> BudgetCell:
    return BudgetCell(uscc, category, source, Decimal(amount))


def test_it_refuses_an_empty_or_all_zero_budget():
    assert codes(good_doc(budget=())) == {("budget", "required")}
    assert codes(good_doc(budget=(cell("equipment", "self", "0"),))) == {("budget", "required")}


def test_it_refuses_government_funding_over_the_calls_cap():
    budget = (cell("equipment", "cq_gov", "2000000.01"), cell("equipment", "self", "100"))
    findings = [f for f in rules.problems(good_doc(budget=budget)) if f.code == "over_cap"]
    assert [(f.param("total"), f.param("cap")) for f in findings] == [("2000000.01", "2000000.00")]


def test_it_accepts_government_funding_exactly_at_the_cap():
    budget = (cell("equipment", "cq_gov", "2000000.00"), cell("equipment", "self", "100"))
    assert codes(good_doc(budget=budget)) == set()


def test_it_refuses_government_funding_over_the_guide_tasks_own_cap():
    findings = [f for f in rules.problems(good_doc(), Decimal("1000000.00")) if f.code == "over_cap"]
    assert [(f.param("total"), f.param("cap")) for f in findings] == [("1100000", "1000000.00")]


def test_self_raised_funds_do_not_count_against_the_cap():
    budget = (cell("equipment", "cq_gov", "2000000"), cell("equipment", "self", "5000000"))
    assert codes(good_doc(budget=budget)) == set()


def test_it_refuses_indirect_costs_over_the_calls_rate():
    budget = (cell("equipment", "self", "1000000"), cell("indirect", "self", "200000.01"))
    findings = [f for f in rules.problems(good_doc(budget=budget)) if f.code == "indirect_rate"]
    assert [(f.param("allowed"), f.param("rate")) for f in findings] == [("200000.00", "20%")]


def test_it_accepts_indirect_costs_exactly_at_the_calls_rate():
    budget = (cell("equipment", "self", "1000000"), cell("indirect", "self", "200000"))
    assert codes(good_doc(budget=budget)) == set()


def test_it_refuses_indirect_costs_over_the_rate_by_less_than_half_a_cent():
    # 20% of 1,000,000.03 is 200,000.006: 200,000.01 is over it, whatever rounding shows.
    budget = (cell("equipment", "self", "1000000.03"), cell("indirect", "self", "200000.01"))
    findings = [f for f in rules.problems(good_doc(budget=budget)) if f.code == "indirect_rate"]
    assert [f.param("allowed") for f in findings] == ["200000.00"]


def test_it_refuses_a_self_raised_share_below_the_calls_minimum():
    doc = good_doc(call=call_rules(min_self_raised_ratio=Decimal("0.3")))
    findings = [f for f in rules.problems(doc) if f.code == "self_raised_share"]
    # 400,000 of 1,500,000.
    assert [(f.param("share"), f.param("minimum")) for f in findings] == [("26.7%", "30%")]


def test_it_accepts_a_self_raised_share_exactly_at_the_minimum():
    budget = (cell("equipment", "cq_gov", "700000"), cell("equipment", "self", "300000"))
    assert codes(good_doc(budget=budget, call=call_rules(min_self_raised_ratio=Decimal("0.3")))) == set()


def test_it_refuses_a_budget_line_of_a_unit_that_is_neither_lead_nor_partner():
    budget = (*good_doc().budget, cell("labour", "self", "1", uscc="STRANGER"))
    assert ("budget", "unknown_unit") in codes(good_doc(budget=budget))


def test_it_refuses_government_funds_of_the_other_side_unless_the_call_allows_it():
    budget = (cell("equipment", "sc_gov", "100"), cell("equipment", "self", "100"))
    assert ("budget", "other_side_funds") in codes(good_doc(budget=budget))
    assert codes(good_doc(budget=budget, call=call_rules(cross_funding_allowed=True))) == set()


# --- Attachments and commitment -----------------------------------------------------------


@pytest.mark.parametrize("kind", rules.REQUIRED_ATTACHMENTS)
def test_it_refuses_a_missing_required_attachment(kind):
    found = codes(good_doc(attachments=frozenset(rules.REQUIRED_ATTACHMENTS) - {kind}))
    assert found == {(kind, "attachment_missing")}


def test_it_refuses_an_unticked_integrity_commitment():
    assert codes(good_doc(committed=False)) == {("integrity_commitment", "required")}


def test_it_lists_every_problem_at_once_in_section_order():
    doc = good_doc(title="", partners=(), budget=(), milestones=(), committed=False)
    sections = [f.section for f in rules.problems(doc)]
    assert sections == sorted(sections, key=rules.SECTIONS.index)
    assert set(sections) == {"basics", "partners", "milestones", "budget", "commitment"}


# --- Properties ---------------------------------------------------------------------------

# What the database can hold: 14 digits with 2 decimals; ratios 0..1 with 4 decimals.
amounts = st.decimals(min_value=0, max_value=Decimal("999999999999.99"), places=2)
small_amounts = st.decimals(min_value=0, max_value=Decimal("5000000"), places=2)
cents = st.decimals(min_value=0, max_value=1, places=2)
ratios = st.decimals(min_value=0, max_value=1, places=4)
cells = st.builds(
    BudgetCell,
    unit_uscc=st.sampled_from([LEAD.uscc, PARTNER.uscc]),
    category=st.sampled_from(CATEGORIES),
    source=st.sampled_from(SOURCES),
    amount=st.one_of(cents, small_amounts, amounts),
)
grids = st.lists(cells, max_size=24).map(tuple)


def findings_of(budget: tuple[BudgetCell, ...], cap: Decimal, **call: object) -> set[str]:
    doc = good_doc(budget=budget, call=call_rules(cap=cap, cross_funding_allowed=True, **call))
    return {f.code for f in rules.problems(doc) if f.section == "budget"}


@given(grids)
def test_budget_totals_add_up(budget):
    totals = rules.budget_totals(budget)
    total = totals.get("total", Decimal(0))
    assert total == sum((cell.amount for cell in budget), Decimal(0))
    by_category = sum((totals.get(f"category:{c}", Decimal(0)) for c in CATEGORIES), Decimal(0))
    by_source = sum((totals.get(f"source:{s}", Decimal(0)) for s in SOURCES), Decimal(0))
    assert by_category == by_source == total
    assert totals.get("direct", Decimal(0)) + totals.get("category:indirect", Decimal(0)) == total
    government = totals.get("source:sc_gov", Decimal(0)) + totals.get("source:cq_gov", Decimal(0))
    assert totals.get("government", Decimal(0)) == government


@given(grids, small_amounts)
def test_an_over_cap_finding_exactly_when_government_funding_is_over_the_cap(budget, cap):
    government = sum((c.amount for c in budget if c.source in ("sc_gov", "cq_gov")), Decimal(0))
    assert ("over_cap" in findings_of(budget, cap)) == (government > cap)


@given(grids, ratios)
def test_an_indirect_rate_finding_exactly_when_indirect_costs_are_over_the_rate(budget, rate):
    direct = sum((c.amount for c in budget if c.category != "indirect"), Decimal(0))
    indirect = sum((c.amount for c in budget if c.category == "indirect"), Decimal(0))
    found = findings_of(budget, Decimal("1e13"), max_indirect_rate=rate)
    assert ("indirect_rate" in found) == (indirect > rate * direct)


@given(grids, ratios)
def test_a_self_raised_finding_exactly_when_the_share_is_below_the_minimum(budget, ratio):
    total = sum((c.amount for c in budget), Decimal(0))
    own = sum((c.amount for c in budget if c.source == "self"), Decimal(0))
    found = findings_of(budget, Decimal("1e13"), min_self_raised_ratio=ratio)
    assert ("self_raised_share" in found) == (total > 0 and own < total * ratio)


# Documents as arbitrary as the types allow: any text, any provinces, any numbers in range.
texts = st.text(max_size=30)
provinces = st.sampled_from(["SC", "CQ", "OTHER", ""])
usccs = st.sampled_from([LEAD.uscc, PARTNER.uscc, "X", ""]) | st.text(max_size=18)
# Hypothesis takes naive bounds and attaches the time zone itself.
aware = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.just(UTC),
)
units = st.builds(
    Unit,
    name=texts,
    uscc=usccs,
    provinces=st.frozensets(provinces, max_size=3),
    named=st.booleans(),
    has_form=st.booleans(),
)
months = st.integers(min_value=0, max_value=32767)
members = st.builds(
    Member,
    name=texts,
    id_number=st.sampled_from(["A", "B", "C"]) | texts,
    role=st.sampled_from(["pi", "core", "member"]) | texts,
    birth_date=st.none() | st.dates(),
    other_led=st.integers(min_value=0, max_value=50),
    other_joined=st.integers(min_value=0, max_value=50),
)
any_cells = st.builds(
    BudgetCell,
    unit_uscc=usccs,
    category=st.sampled_from(CATEGORIES) | texts,
    source=st.sampled_from(SOURCES) | texts,
    amount=amounts,
)
call_rule_sets = st.builds(
    CallRules,
    cap=amounts,
    max_indirect_rate=ratios,
    min_self_raised_ratio=ratios,
    min_duration_months=months,
    max_duration_months=months,
    pi_limit=st.integers(min_value=0, max_value=10),
    member_limit=st.integers(min_value=0, max_value=10),
    submit_deadline=aware,
    is_open=st.booleans(),
    cross_funding_allowed=st.booleans(),
    pi_born_after=st.none() | st.dates(),
)
docs = st.builds(
    Doc,
    call=call_rule_sets,
    province=provinces,
    now=aware,
    task_ok=st.booleans(),
    title=texts,
    start_date=st.none() | st.dates(),
    duration_months=st.none() | months,
    abstract=texts,
    aims=texts,
    technical_route=texts,
    foundation=texts,
    lead=st.none() | units,
    partners=st.lists(units, max_size=4).map(tuple),
    team=st.lists(members, max_size=5).map(tuple),
    indicators=st.lists(
        st.tuples(st.sampled_from(["technical", "economic", "social"]) | texts, months), max_size=5
    ).map(tuple),
    milestones=st.lists(st.tuples(months, months), max_size=5).map(tuple),
    budget=st.lists(any_cells, max_size=12).map(tuple),
    attachments=st.frozensets(
        st.sampled_from([*rules.REQUIRED_ATTACHMENTS, "partner_form"]) | texts, max_size=6
    ),
    committed=st.booleans(),
)


@settings(max_examples=300)
@given(docs, st.none() | amounts)
def test_problems_never_raise_and_name_known_sections(doc, cap):
    findings = rules.problems(doc, cap)
    assert all(f.section in rules.SECTIONS for f in findings)
    assert all(f.code for f in findings)
    assert rules.problems(doc, cap) == findings


@settings(max_examples=200)
@given(st.tuples(docs, st.sampled_from(["SC", "CQ"])).map(lambda pair: replace(pair[0], province=pair[1])))
def test_every_finding_of_an_application_to_either_bureau_reads_as_a_message(doc):
    for finding in rules.problems(doc):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                assert message_of(finding).strip()
