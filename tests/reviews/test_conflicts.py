"""Conflicts of interest (回避): every source that keeps an expert off an application (the
lead or a partner unit, the team, the applicant's avoid list, declared, entered by staff), the
homonym that is not a match, the query count that does not grow with the call, and the
writes: recorded once, audited, with a reason where one is required, removed by staff only."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from applications.models import ApplicationStatus, AvoidedExpert, Partner, TeamMember
from portal.audit.models import AuditEvent
from reviews.conflict_forms import StaffConflictForm
from reviews.models import Conflict
from reviews.selectors.conflicts import (
    AVOID_MATCHED,
    AVOID_NEAR,
    AVOID_UNMATCHED,
    normalize_name,
    normalize_unit,
)
from reviews.services.conflicts import (
    ConflictError,
    conflict_pairs,
    conflict_record,
    conflict_remove,
    conflicts_between,
    conflicts_of_application,
)
from tests.factories import FundingCallFactory, OrganizationFactory, UserFactory, make_id_number
from tests.reviews.factories import make_accepted_application, make_expert, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    return FundingCallFactory()


@pytest.fixture
def application(call):
    return make_accepted_application(call, province="CQ")


def add_member(application, *, name="队员", unit="某单位", user=None, id_number=None, position=5):
    return TeamMember.objects.create(
        application=application,
        position=position,
        user=user,
        name=name,
        id_number=id_number or make_id_number(700 + position, region="500101"),
        unit_name=unit,
        role="member",
        time_percent=10,
    )


def avoid(application, name, unit, reason="", position=0):
    return AvoidedExpert.objects.create(
        application=application, position=position, name=name, unit_name=unit, reason=reason
    )


def sources(application, expert) -> set[str]:
    return {source for source, _reason in conflicts_between(application=application, reviewer=expert)}


# --- Normalisation ------------------------------------------------------------------------


def test_names_lose_every_space_and_width_and_case():
    assert normalize_name(" 张\u3000三 ") == normalize_name("张三")
    assert normalize_name("ＺＨＡＮＧ San") == normalize_name("zhang  san") == "zhangsan"
    assert normalize_name("买买提・艾力") == normalize_name("买买提·艾力")


def test_units_keep_single_spaces_and_lose_width_and_case():
    assert normalize_unit(" Sichuan  University ") == "sichuan university"
    assert normalize_unit("四川大学（华西）") == normalize_unit("四川大学(华西)")


# --- Every source -------------------------------------------------------------------------


def test_an_expert_of_the_lead_unit_is_in_conflict(call, application):
    expert = make_expert("CQ", organization=application.lead_unit)

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    with translation.override("en"):
        found = conflicts_between(application=application, reviewer=expert)
    assert found == [("unit", f"{application.lead_unit.name}, the expert's unit, is the lead unit.")]


def test_an_expert_of_a_registered_partner_unit_is_in_conflict(call, application):
    partner = application.partners.get()
    expert = make_expert("SC", organization=partner.organization)

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    assert sources(application, expert) == {"unit"}


def test_an_expert_of_a_named_partner_is_in_conflict_by_the_credit_code(call, application):
    unit = OrganizationFactory(sichuan=True)
    expert = make_expert("SC", organization=unit)
    # The team typed the unit by name and code: no link to the registered organisation.
    Partner.objects.create(
        application=application, position=2, organization=None, name="手填单位", uscc=unit.uscc, province="SC"
    )

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    assert sources(application, expert) == {"unit"}


def test_a_team_member_with_the_experts_account_is_in_conflict(call, application):
    expert = make_expert("SC")
    add_member(application, name="别名", unit="别的单位", user=expert.user)

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    with translation.override("en"):
        assert conflicts_between(application=application, reviewer=expert) == [
            ("team", "The expert is on the team (别名, the same account).")
        ]


def test_the_project_leader_is_in_conflict_even_without_a_team_row(call, application):
    expert = make_expert("SC", user=application.pi)
    application.team.all().delete()

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    assert sources(application, expert) == {"team"}


def test_a_team_member_with_the_experts_id_number_is_in_conflict(call, application):
    expert = make_expert("SC")
    number = make_id_number(321, region="510104")
    expert.user.id_number = number
    expert.user.save()
    add_member(application, name="另一个名字", unit="另一个单位", id_number=number.lower())

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    assert sources(application, expert) == {"team"}


def test_a_team_member_of_the_same_name_and_unit_is_in_conflict(call, application):
    unit = OrganizationFactory(sichuan=True, name="四川大学", name_en="Sichuan University")
    expert = make_expert("SC", organization=unit, user__full_name="Li Ming")
    add_member(application, name="LI  MING", unit=" sichuan university ")

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    assert sources(application, expert) == {"team"}


def test_an_expert_without_an_id_number_is_not_matched_on_an_empty_one(call, application):
    expert = make_expert("SC")
    assert expert.user.id_number == ""
    member = add_member(application)
    TeamMember.objects.filter(pk=member.pk).update(id_number="")

    assert (application.pk, expert.pk) not in conflict_pairs(call=call)


def test_the_avoid_list_matches_name_and_unit_after_normalising(call, application):
    unit = OrganizationFactory(sichuan=True, name="四川大学", name_en="Sichuan University")
    expert = make_expert("SC", organization=unit, user__full_name="张三")
    avoid(application, "张\u3000三", "四川大学 ", reason="竞争关系")

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    with translation.override("en"):
        assert conflicts_between(application=application, reviewer=expert) == [
            ("applicant", "The applicant asked to avoid 张\u3000三 of 四川大学 .")
        ]


def test_the_avoid_list_matches_the_english_unit_name(call, application):
    unit = OrganizationFactory(name="重庆大学", name_en="Chongqing University")
    expert = make_expert("CQ", organization=unit, user__full_name="王五")
    avoid(application, "王五", "CHONGQING UNIVERSITY")

    assert (application.pk, expert.pk) in conflict_pairs(call=call)


def test_a_homonym_at_another_unit_is_not_a_match_but_a_near_match(call, application):
    unit = OrganizationFactory(sichuan=True, name="四川大学")
    other = OrganizationFactory(name="重庆大学")
    namesake = make_expert("CQ", organization=other, user__full_name="张三")
    row = avoid(application, "张三", "四川大学")
    assert unit.pk  # the unit the applicant meant has no expert of that name in the pool

    assert (application.pk, namesake.pk) not in conflict_pairs(call=call)
    assert conflicts_between(application=application, reviewer=namesake) == []
    found = conflicts_of_application(application=application)
    assert [(a.avoided.pk, a.status, a.matched, a.near) for a in found.avoided] == [
        (row.pk, AVOID_NEAR, (), (namesake,))
    ]
    assert namesake.pk not in found.reviewer_ids


def test_the_panel_lists_matched_and_unmatched_avoid_entries(call, application):
    unit = OrganizationFactory(sichuan=True, name="四川大学")
    expert = make_expert("SC", organization=unit, user__full_name="张三")
    avoid(application, "张三", "四川大学", position=0)
    avoid(application, "无名氏", "无名单位", position=1)

    found = conflicts_of_application(application=application)

    assert [(a.status, a.matched) for a in found.avoided] == [
        (AVOID_MATCHED, (expert,)),
        (AVOID_UNMATCHED, ()),
    ]
    assert [(e.reviewer, e.source, e.stored) for e in found] == [(expert, "applicant", False)]


def test_a_declared_conflict_is_stored_and_keeps_the_pair_apart(call, application):
    expert = make_expert("SC")
    assert (application.pk, expert.pk) not in conflict_pairs(call=call)

    conflict_record(
        application=application, reviewer=expert, source="declared", reason="近三年合作者", by=expert.user
    )

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    assert conflicts_between(application=application, reviewer=expert) == [("declared", "近三年合作者")]


def test_a_conflict_entered_by_staff_keeps_the_pair_apart_and_shows_as_removable(call, application):
    expert = make_expert("SC")
    conflict_record(
        application=application, reviewer=expert, source="staff", reason="师生关系", by=make_staff()
    )

    assert (application.pk, expert.pk) in conflict_pairs(call=call)
    entries = list(conflicts_of_application(application=application))
    assert [(e.reviewer, e.source, e.reason, e.stored, e.removable) for e in entries] == [
        (expert, "staff", "师生关系", True, True)
    ]


def test_staff_may_confirm_a_near_match_of_the_avoid_list(call, application):
    namesake = make_expert("CQ", organization=OrganizationFactory(name="重庆大学"), user__full_name="张三")
    avoid(application, "张三", "重庆大学附属医院")

    conflict_record(
        application=application, reviewer=namesake, source="applicant", reason="", by=make_staff()
    )

    assert (application.pk, namesake.pk) in conflict_pairs(call=call)
    found = conflicts_of_application(application=application)
    assert [(a.status, a.confirmed) for a in found.avoided] == [(AVOID_NEAR, (namesake,))]


def test_an_expert_without_any_tie_is_free(call, application):
    expert = make_expert("SC")

    assert conflicts_between(application=application, reviewer=expert) == []
    assert not {pair for pair in conflict_pairs(call=call) if pair[1] == expert.pk}


# --- Which applications and experts -------------------------------------------------------


def test_inactive_experts_and_applications_not_in_review_are_left_out(call, application):
    inactive = make_expert("CQ", organization=application.lead_unit, active=False)
    draft = make_accepted_application(call, status=ApplicationStatus.ENDORSED)
    expert = make_expert("CQ", organization=draft.lead_unit)

    pairs = conflict_pairs(call=call)

    assert (application.pk, inactive.pk) not in pairs
    assert (draft.pk, expert.pk) not in pairs
    # Named, an application is checked whatever its state — but only within the call.
    assert conflict_pairs(call=call, application_ids=[draft.pk]) == {(draft.pk, expert.pk)}
    other_call = make_accepted_application()
    make_expert("CQ", organization=other_call.lead_unit)
    assert conflict_pairs(call=call, application_ids=[other_call.pk]) == set()


def test_review_states_include_under_review_and_reviewed(call):
    for status in (ApplicationStatus.UNDER_REVIEW, ApplicationStatus.REVIEWED):
        application = make_accepted_application(call, status=status)
        expert = make_expert("CQ", organization=application.lead_unit)
        assert (application.pk, expert.pk) in conflict_pairs(call=call)


def _application_with_everything(call, index: int):
    application = make_accepted_application(call, province="SC" if index % 2 else "CQ")
    add_member(application, name=f"队员{index}", unit="某单位")
    avoid(application, f"回避{index}", "某大学")
    return application


def _queries(call) -> tuple[int, set]:
    with CaptureQueriesContext(connection) as captured:
        pairs = conflict_pairs(call=call)
    return len(captured), pairs


def test_the_query_count_does_not_grow_with_the_applications(call):
    for index in range(5):
        application = _application_with_everything(call, index)
        make_expert("CQ", organization=application.lead_unit)
    small, pairs = _queries(call)
    assert len(pairs) == 5
    for index in range(5, 50):
        application = _application_with_everything(call, index)
        expert = make_expert("SC", organization=application.partners.get().organization)
        conflict_record(
            application=application, reviewer=expert, source="declared", reason="亲属", by=expert.user
        )

    large, pairs = _queries(call)

    assert large == small <= 6
    assert len(pairs) == 50


@pytest.mark.parametrize("experts", [2, 30])
def test_the_panel_reads_a_fixed_number_of_queries(call, application, django_assert_max_num_queries, experts):
    staff = make_staff()
    for _index in range(experts):
        expert = make_expert("CQ", organization=application.lead_unit)
        conflict_record(application=application, reviewer=expert, source="staff", reason="亲属", by=staff)
    for index in range(3):
        avoid(application, f"专家{index}", "某大学", position=index)
    with django_assert_max_num_queries(8):
        found = conflicts_of_application(application=application)
        assert [e.reviewer.user.full_name for e in found]
        assert [a.avoided.name for a in found.avoided]


# --- Recording and removing ---------------------------------------------------------------


def test_recording_twice_gives_the_same_row_and_one_audit_event(application):
    expert = make_expert("SC")
    staff = make_staff()

    first = conflict_record(application=application, reviewer=expert, source="staff", reason="亲属", by=staff)
    second = conflict_record(
        application=application, reviewer=expert, source="staff", reason="别的理由", by=staff
    )

    assert first.pk == second.pk
    assert second.reason == "亲属"
    assert Conflict.objects.count() == 1
    events = AuditEvent.objects.filter(action="conflict.record")
    assert [(e.actor, e.reason, e.data["source"], e.data["reviewer"]) for e in events] == [
        (staff, "亲属", "staff", expert.pk)
    ]
    # Another source for the same pair is another row.
    conflict_record(
        application=application, reviewer=expert, source="declared", reason="同事", by=expert.user
    )
    assert Conflict.objects.count() == 2


@pytest.mark.parametrize("source", ["declared", "staff"])
@pytest.mark.parametrize("reason", ["", "   "])
def test_a_declared_or_staff_conflict_needs_a_reason(application, source, reason):
    expert = make_expert("SC")
    by = expert.user if source == "declared" else make_staff()

    with translation.override("en"), pytest.raises(ConflictError) as refused:
        conflict_record(application=application, reviewer=expert, source=source, reason=reason, by=by)

    assert (refused.value.code, refused.value.field) == ("required", "reason")
    assert "Give the reason" in refused.value.message
    assert not Conflict.objects.exists()
    assert not AuditEvent.objects.filter(action="conflict.record").exists()


def test_a_reason_too_long_or_with_control_characters_is_refused(application):
    expert = make_expert("SC")
    for reason in ("长" * 1001, "bad\x00reason"):
        with pytest.raises(ConflictError) as refused:
            conflict_record(
                application=application, reviewer=expert, source="staff", reason=reason, by=make_staff()
            )
        assert refused.value.field == "reason"
    assert not Conflict.objects.exists()


def test_computed_sources_are_not_recorded(application):
    expert = make_expert("SC")
    with pytest.raises(ConflictError) as refused:
        conflict_record(application=application, reviewer=expert, source="unit", reason="x", by=make_staff())
    assert refused.value.field == "source"


def test_only_the_expert_declares_and_only_staff_enter(application):
    expert = make_expert("SC")
    other = make_expert("SC")
    with pytest.raises(ConflictError) as refused:
        conflict_record(
            application=application, reviewer=expert, source="declared", reason="亲属", by=other.user
        )
    assert refused.value.code == "not_allowed"
    with pytest.raises(ConflictError) as refused:
        conflict_record(
            application=application, reviewer=expert, source="staff", reason="亲属", by=expert.user
        )
    assert refused.value.code == "not_allowed"
    with pytest.raises(ConflictError):
        conflict_record(
            application=application, reviewer=expert, source="applicant", reason="", by=UserFactory()
        )
    assert not Conflict.objects.exists()


def test_staff_remove_a_conflict_they_entered_with_a_reason_audited(application):
    expert = make_expert("SC")
    staff = make_staff()
    conflict = conflict_record(
        application=application, reviewer=expert, source="staff", reason="误录", by=staff
    )

    with pytest.raises(ConflictError) as refused:
        conflict_remove(conflict=conflict, by=staff, reason=" ")
    assert refused.value.field == "reason"

    conflict_remove(conflict=conflict, by=staff, reason="录错了专家")

    assert not Conflict.objects.exists()
    event = AuditEvent.objects.get(action="conflict.remove")
    assert (event.actor, event.reason, event.data["source"], event.data["recorded_reason"]) == (
        staff,
        "录错了专家",
        "staff",
        "误录",
    )
    with pytest.raises(ConflictError) as refused:
        conflict_remove(conflict=conflict, by=staff, reason="again")
    assert refused.value.code == "not_found"


def test_a_declared_conflict_cannot_be_removed_and_nobody_but_staff_removes(application):
    expert = make_expert("SC")
    declared = conflict_record(
        application=application, reviewer=expert, source="declared", reason="亲属", by=expert.user
    )
    entered = conflict_record(
        application=application, reviewer=expert, source="staff", reason="亲属", by=make_staff()
    )

    with pytest.raises(ConflictError) as refused:
        conflict_remove(conflict=declared, by=make_staff(), reason="不需要")
    assert refused.value.code == "not_removable"
    with pytest.raises(ConflictError) as refused:
        conflict_remove(conflict=entered, by=expert.user, reason="不需要")
    assert refused.value.code == "not_allowed"
    assert Conflict.objects.count() == 2


# --- The staff form -------------------------------------------------------------------------


def test_the_staff_form_offers_active_experts_and_needs_a_reason():
    active = make_expert("SC")
    inactive = make_expert("CQ", active=False)
    excluded = make_expert("CQ")

    form = StaffConflictForm(exclude={excluded.pk})
    assert list(form.fields["reviewer"].queryset) == [active]
    assert inactive.pk not in [c[0] for c in form.fields["reviewer"].choices if c[0]]

    with translation.override("en"):
        form = StaffConflictForm(data={"reviewer": inactive.pk, "reason": " "})
        assert not form.is_valid()
        assert form.errors["reviewer"] == ["Choose an active expert of the pool."]
        assert form.errors["reason"] == ["This field is required."]
    form = StaffConflictForm(data={"reviewer": active.pk, "reason": "师生关系"})
    assert form.is_valid()
    assert form.cleaned_data["reviewer"] == active


def test_staff_cannot_record_a_conflict_for_an_expert_still_on_the_panel():
    from django.utils import translation

    from reviews.models import Assignment, Conflict
    from reviews.services.conflicts import ConflictError, conflict_record
    from tests.reviews.factories import make_accepted_application, make_expert, make_staff

    application = make_accepted_application(status="under_review")
    expert = make_expert("SC")
    Assignment.objects.create(application=application, reviewer=expert, source="manual")

    with translation.override("en"), pytest.raises(ConflictError) as refused:
        conflict_record(
            application=application, reviewer=expert, source="staff", reason="师生关系", by=make_staff()
        )

    assert "on the panel" in refused.value.message and refused.value.field == "reviewer"
    assert not Conflict.objects.exists()
