"""The application's life as a table (``applications/workflow.py``) and the one function that moves
it, ``transition()``: a conditional update, audited, emailed, refused with a code naming the rule."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import TestCase
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from applications import workflow
from applications.models import Application, ApplicationStatus, FundingCall
from applications.services import application_create
from applications.workflow import (
    BUREAU,
    EDITABLE_STATES,
    LEAD_UNIT_ADMIN,
    PI,
    REVIEW_STAFF,
    STATES,
    TRANSITIONS,
    TRANSITIONS_BY_ACTION,
    TransitionConflict,
    TransitionError,
    moves_for,
    transition,
)
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from portal.organizations.models import Organization
from tests.factories import (
    FundingCallFactory,
    GuideTaskFactory,
    OrganizationFactory,
    UserFactory,
    make_applicant,
)

S = ApplicationStatus
# States that the later issues (formal check, review, awards) move applications into.
LATER_STATES = {S.INELIGIBLE, S.UNDER_REVIEW, S.REVIEWED, S.SHORTLISTED, S.AWARDED, S.NOT_FUNDED}
TERMINAL_STATES = {S.WITHDRAWN, S.NOT_FUNDED}


# --- The table ----------------------------------------------------------------------------


def test_every_status_code_has_one_state_in_the_table():
    assert set(STATES) == set(ApplicationStatus.values)
    assert all(code == state.code for code, state in STATES.items())


def test_every_transitions_sources_and_target_are_known_states():
    for move in TRANSITIONS:
        assert move.sources, move.action
        assert move.sources <= set(STATES), move.action
        assert move.target in STATES, move.action
        assert move.target not in move.sources, move.action


def test_every_transition_has_a_known_actor_and_a_real_deadline_of_the_call():
    deadlines = {f.name for f in FundingCall._meta.get_fields() if f.get_internal_type() == "DateTimeField"}
    for move in TRANSITIONS:
        assert move.actor in (PI, LEAD_UNIT_ADMIN, BUREAU, REVIEW_STAFF), move.action
        assert move.deadline is None or move.deadline in deadlines, move.action
    assert len(TRANSITIONS_BY_ACTION) == len(TRANSITIONS)


def reachable_from(start: str) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        state = todo.pop()
        for move in TRANSITIONS:
            if state in move.sources and move.target not in seen:
                seen.add(move.target)
                todo.append(move.target)
    return seen


def test_every_state_is_reachable_from_draft_or_left_to_a_later_issue():
    reachable = reachable_from(S.DRAFT)
    assert set(STATES) - reachable <= LATER_STATES
    # A move out of a state nothing leads to would be dead code.
    for move in TRANSITIONS:
        assert move.sources & reachable, move.action


def test_the_applicant_moves_reach_submitted_endorsed_returned_withdrawn_and_accepted():
    assert reachable_from(S.DRAFT) >= {S.SUBMITTED, S.RETURNED, S.ENDORSED, S.ACCEPTED, S.WITHDRAWN}


def test_terminal_states_have_no_way_out():
    for move in TRANSITIONS:
        assert not move.sources & TERMINAL_STATES, move.action


def test_editable_states_are_exactly_draft_and_returned():
    assert set(EDITABLE_STATES) == {S.DRAFT, S.RETURNED}


def test_states_counted_by_the_limits_are_those_alive_after_submission():
    active = {code for code, state in STATES.items() if state.active}
    assert S.DRAFT not in active
    assert {S.WITHDRAWN, S.INELIGIBLE, S.NOT_FUNDED}.isdisjoint(active)
    assert {S.SUBMITTED, S.RETURNED, S.ENDORSED, S.ACCEPTED, S.AWARDED} <= active


def test_returning_and_declaring_ineligible_need_a_reason():
    assert {move.action for move in TRANSITIONS if move.reason_required} == {
        "return",
        "bureau_return",
        "reject",
    }


# --- check() against the table, without a database ---------------------------------------

FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
NOW = datetime(2021, 6, 1, tzinfo=UTC)
ACTORS = {
    PI: User(pk=10, email="pi@example.test", role=Role.APPLICANT, organization_id=20),
    LEAD_UNIT_ADMIN: User(pk=11, email="admin@example.test", role=Role.UNIT_ADMIN, organization_id=20),
    BUREAU: User(pk=12, email="staff@example.test", role=Role.BUREAU_STAFF, province="CQ"),
    REVIEW_STAFF: User(pk=16, email="admin@portal.test", role=Role.ADMIN),
}
STRANGERS = [
    User(pk=13, email="other-pi@example.test", role=Role.APPLICANT, organization_id=20),
    User(pk=14, email="other-admin@example.test", role=Role.UNIT_ADMIN, organization_id=21),
    User(pk=15, email="sc-staff@example.test", role=Role.BUREAU_STAFF, province="SC"),
    User(pk=10, email="pi@example.test", role=Role.APPLICANT, organization_id=20, is_active=False),
]


def unsaved(status: str) -> Application:
    application = Application(pk=1, status=status, pi_id=10, province="CQ")
    application.lead_unit = Organization(pk=20, verified_at=NOW)
    application.call = FundingCall(submit_deadline=FUTURE, endorse_deadline=FUTURE)
    return application


def refusal(move: workflow.Transition, application: Application, user: User) -> str | None:
    try:
        workflow.check(move, application, user, now=NOW)
    except TransitionError as error:
        return error.code
    return None


@given(
    st.lists(st.sampled_from([move.action for move in TRANSITIONS]), max_size=12), st.sampled_from(STRANGERS)
)
def test_check_follows_the_table_on_any_sequence_of_moves(actions, stranger):
    status, withdrawn = S.DRAFT, False
    for action in actions:
        move = TRANSITIONS_BY_ACTION[action]
        application = unsaved(status)
        if status in move.sources:
            assert refusal(move, application, ACTORS[move.actor]) is None
            # The review is joint: staff of the other province organise it too.
            if not (move.actor == REVIEW_STAFF and stranger.role == Role.BUREAU_STAFF and stranger.is_active):
                assert refusal(move, application, stranger) == "actor"
            status = move.target
        else:
            assert refusal(move, application, ACTORS[move.actor]) == "state"
        assert status in STATES
        withdrawn = withdrawn or status == S.WITHDRAWN
        # Nothing leaves a withdrawn application.
        assert status == S.WITHDRAWN or not withdrawn


@pytest.mark.parametrize(
    ("move", "source"),
    [(move, source) for move in TRANSITIONS for source in sorted(move.sources)],
    ids=lambda value: getattr(value, "action", value),
)
def test_check_refuses_a_move_after_its_deadline(move, source):
    application = unsaved(source)
    deadline = dict(move.deadline_from).get(source, move.deadline)
    if deadline is None:
        application.call = FundingCall(submit_deadline=NOW - timedelta(days=9), endorse_deadline=NOW)
        assert refusal(move, application, ACTORS[move.actor]) is None
        return
    setattr(application.call, deadline, NOW - timedelta(seconds=1))
    assert refusal(move, application, ACTORS[move.actor]) == "deadline"
    setattr(application.call, deadline, NOW)
    assert refusal(move, application, ACTORS[move.actor]) is None


# --- transition() on the database ---------------------------------------------------------


@pytest.fixture
def call():
    return FundingCallFactory()


@pytest.fixture
def pi():
    return make_applicant()


@pytest.fixture
def draft(call, pi):
    return application_create(call=call, by=pi, guide_task=GuideTaskFactory(call=call), title="智能诊断")


@pytest.fixture
def unit_admin(pi):
    return UserFactory(role=Role.UNIT_ADMIN, organization=pi.organization)


def fresh(application: Application) -> Application:
    return Application.objects.select_related("call", "pi", "lead_unit").get(pk=application.pk)


def moved(application: Application, *actions: str, by: dict) -> Application:
    for action in actions:
        actor = by[TRANSITIONS_BY_ACTION[action].actor]
        reason = "请补充合作协议" if action == "return" else ""
        # The status emails are written after commit (applications/notifications.py): run it here.
        with TestCase.captureOnCommitCallbacks(execute=True):
            application = transition(application=fresh(application), action=action, by=actor, reason=reason)
    return fresh(application)


@pytest.fixture
def people(pi, unit_admin):
    return {PI: pi, LEAD_UNIT_ADMIN: unit_admin, BUREAU: UserFactory(role=Role.BUREAU_STAFF, province="CQ")}


def moves_of(application: Application) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="applications.application", object_id=str(application.pk))
        .exclude(to_state="")
        .exclude(action="application.create")
        .order_by("id")
    )


@pytest.mark.django_db
def test_transition_is_a_conditional_update_that_moves_once(draft, pi):
    first, second = fresh(draft), fresh(draft)
    transition(application=first, action="submit", by=pi)
    with pytest.raises(TransitionError) as refused:
        transition(application=second, action="submit", by=pi)
    assert isinstance(refused.value, TransitionConflict)
    assert refused.value.code == "conflict"
    stored = fresh(draft)
    assert stored.status == S.SUBMITTED
    assert stored.version == draft.version + 1
    assert [event.action for event in moves_of(draft)] == ["application.submit"]


@pytest.mark.django_db
def test_transition_refuses_a_stale_object_even_when_its_move_is_still_allowed(draft, pi):
    stale = fresh(draft)
    Application.objects.filter(pk=draft.pk).update(version=stale.version + 1)  # someone saved
    with pytest.raises(TransitionConflict):
        transition(application=stale, action="withdraw", by=pi)
    assert fresh(draft).status == S.DRAFT


@pytest.mark.django_db
def test_it_endorses_by_the_lead_units_administrator(draft, people):
    application = moved(draft, "submit", "endorse", by=people)
    assert application.status == S.ENDORSED


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["endorse", "return"])
def test_it_refuses_endorse_or_return_by_another_units_administrator(draft, people, action):
    application = moved(draft, "submit", by=people)
    other_admin = UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory())
    for user in (other_admin, people[PI], people[BUREAU]):
        with pytest.raises(TransitionError) as refused:
            transition(application=fresh(application), action=action, by=user, reason="理由")
        assert refused.value.code == "actor"
    assert fresh(application).status == S.SUBMITTED


@pytest.mark.django_db
def test_it_refuses_an_inactive_unit_administrator(draft, people):
    application = moved(draft, "submit", by=people)
    User.objects.filter(pk=people[LEAD_UNIT_ADMIN].pk).update(is_active=False)
    admin = User.objects.get(pk=people[LEAD_UNIT_ADMIN].pk)
    with pytest.raises(TransitionError) as refused:
        transition(application=fresh(application), action="endorse", by=admin)
    assert refused.value.code == "actor"


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   \n"])
def test_it_refuses_a_return_without_a_reason(draft, people, reason):
    application = moved(draft, "submit", by=people)
    with pytest.raises(TransitionError) as refused:
        transition(application=fresh(application), action="return", by=people[LEAD_UNIT_ADMIN], reason=reason)
    assert refused.value.code == "reason"
    assert fresh(application).status == S.SUBMITTED


@pytest.mark.django_db
def test_it_returns_with_the_reason_in_the_audit_trail_and_the_email(draft, people):
    application = moved(draft, "submit", by=people)
    OutgoingEmail.objects.all().delete()
    with TestCase.captureOnCommitCallbacks(execute=True):
        transition(
            application=fresh(application),
            action="return",
            by=people[LEAD_UNIT_ADMIN],
            reason=" 缺少合作协议 ",
        )
    assert fresh(application).status == S.RETURNED
    event = moves_of(application)[-1]
    assert (event.from_state, event.to_state, event.reason) == (S.SUBMITTED, S.RETURNED, "缺少合作协议")
    (email,) = OutgoingEmail.objects.filter(to=people[PI].email)
    assert "缺少合作协议" in email.body


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["endorse", "return"])
def test_it_refuses_endorse_or_return_after_the_endorse_deadline(draft, people, action):
    application = moved(draft, "submit", by=people)
    now = timezone.now()
    FundingCall.objects.filter(pk=draft.call_id).update(
        submit_deadline=now - timedelta(seconds=2), endorse_deadline=now - timedelta(seconds=1)
    )
    with pytest.raises(TransitionError) as refused:
        transition(application=fresh(application), action=action, by=people[LEAD_UNIT_ADMIN], reason="理由")
    assert refused.value.code == "deadline"
    assert fresh(application).status == S.SUBMITTED
    assert [event.action for event in moves_of(application)] == ["application.submit"]


@pytest.mark.django_db
def test_it_refuses_a_submit_after_the_submit_deadline(draft, people):
    FundingCall.objects.filter(pk=draft.call_id).update(submit_deadline=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TransitionError) as refused:
        transition(application=fresh(draft), action="submit", by=people[PI])
    assert refused.value.code == "deadline"
    assert fresh(draft).status == S.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [(), ("submit",), ("submit", "return"), ("submit", "endorse")],
    ids=["draft", "submitted", "returned", "endorsed"],
)
def test_it_withdraws_until_the_bureau_accepts(draft, people, path):
    application = moved(draft, *path, by=people)
    source = application.status
    application = moved(application, "withdraw", by=people)
    assert application.status == S.WITHDRAWN
    event = moves_of(application)[-1]
    assert (event.action, event.from_state, event.to_state) == ("application.withdraw", source, S.WITHDRAWN)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", [("submit", "endorse", "accept"), ("withdraw",)], ids=["accepted", "withdrawn"]
)
def test_it_refuses_to_withdraw_after_acceptance_or_twice(draft, people, path):
    application = moved(draft, *path, by=people)
    status = application.status
    with pytest.raises(TransitionError) as refused:
        transition(application=application, action="withdraw", by=people[PI])
    assert refused.value.code == "state"
    assert fresh(application).status == status


@pytest.mark.django_db
def test_it_refuses_a_withdrawal_by_anyone_but_the_project_leader(draft, people):
    teammate = make_applicant(unit=people[PI].organization)
    for user in (teammate, people[LEAD_UNIT_ADMIN], people[BUREAU]):
        with pytest.raises(TransitionError) as refused:
            transition(application=fresh(draft), action="withdraw", by=user)
        assert refused.value.code == "actor"


@pytest.mark.django_db
def test_it_accepts_only_by_bureau_staff_of_the_province_applied_to(draft, people):
    application = moved(draft, "submit", "endorse", by=people)
    other_side = UserFactory(role=Role.BUREAU_STAFF, province="SC")
    with pytest.raises(TransitionError) as refused:
        transition(application=fresh(application), action="accept", by=other_side)
    assert refused.value.code == "actor"
    assert moved(application, "accept", by=people).status == S.ACCEPTED


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        ("submit",),
        ("submit", "endorse"),
        ("submit", "return"),
        ("withdraw",),
        ("submit", "endorse", "accept"),
    ],
    ids=["submit", "endorse", "return", "withdraw", "accept"],
)
def test_each_move_writes_one_audit_event_and_emails_the_project_leader(draft, people, path):
    before = fresh(moved(draft, *path[:-1], by=people))
    OutgoingEmail.objects.all().delete()
    action = path[-1]
    after = moved(before, action, by=people)
    move = TRANSITIONS_BY_ACTION[action]
    events = [event for event in moves_of(draft) if event.action == f"application.{action}"]
    assert len(events) == 1
    (event,) = events
    assert (event.from_state, event.to_state) == (before.status, move.target)
    assert event.actor == people[move.actor]
    assert event.reason == ("请补充合作协议" if action == "return" else "")
    assert after.version == before.version + 1
    emails = OutgoingEmail.objects.filter(kind="application_status")
    assert emails.filter(to=people[PI].email).count() == 1
    admins_emailed = emails.filter(to=people[LEAD_UNIT_ADMIN].email).count()
    assert admins_emailed == (1 if action == "submit" else 0)


@pytest.mark.django_db
def test_a_submission_emails_every_active_administrator_of_the_lead_unit_and_linked_teammates(draft, people):
    second_admin = UserFactory(role=Role.UNIT_ADMIN, organization=people[PI].organization)
    UserFactory(role=Role.UNIT_ADMIN, organization=people[PI].organization, is_active=False)
    other_units_admin = UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory())
    teammate = make_applicant()
    draft.team.create(
        user=teammate, name="合作者", id_number="X", unit_name="单位", role="core", time_percent=10
    )
    OutgoingEmail.objects.all().delete()
    moved(draft, "submit", by=people)
    recipients = sorted(OutgoingEmail.objects.values_list("to", flat=True))
    assert recipients == sorted(
        [people[PI].email, teammate.email, people[LEAD_UNIT_ADMIN].email, second_admin.email]
    )
    assert other_units_admin.email not in recipients


@pytest.mark.django_db
def test_moves_for_lists_what_each_person_could_do_now(draft, people):
    assert [m.action for m in moves_for(people[PI], draft)] == ["submit", "withdraw"]
    assert moves_for(people[LEAD_UNIT_ADMIN], draft) == []
    application = moved(draft, "submit", by=people)
    assert [m.action for m in moves_for(people[PI], application)] == ["withdraw"]
    assert [m.action for m in moves_for(people[LEAD_UNIT_ADMIN], application)] == ["endorse", "return"]
    assert moves_for(people[BUREAU], application) == []


@pytest.mark.django_db
def test_the_status_email_is_written_once_however_often_its_task_runs(draft, people):
    from applications.notifications import application_notify

    moved(draft, "submit", by=people)
    event = moves_of(draft)[-1]
    before = OutgoingEmail.objects.count()

    assert application_notify(event_id=event.pk) == []
    assert OutgoingEmail.objects.count() == before


@pytest.mark.django_db
def test_the_sweep_sends_the_task_again_for_a_change_whose_message_was_lost(draft, people):
    from datetime import timedelta

    from applications.notifications import notifications_requeue_stale

    with TestCase.captureOnCommitCallbacks(execute=False):  # the broker "loses" the task
        transition(application=fresh(draft), action="submit", by=people[PI])
    assert not OutgoingEmail.objects.filter(to=people[PI].email).exists()

    assert notifications_requeue_stale(older_than=timedelta(0)) == 1
    assert OutgoingEmail.objects.filter(to=people[PI].email).count() == 1
    assert notifications_requeue_stale(older_than=timedelta(0)) == 0


@pytest.mark.django_db
def test_muted_changes_send_no_email_now_or_later(draft, people):
    from datetime import timedelta

    from applications.notifications import muted, notifications_requeue_stale

    with muted(), TestCase.captureOnCommitCallbacks(execute=True):
        transition(application=fresh(draft), action="submit", by=people[PI])

    assert notifications_requeue_stale(older_than=timedelta(0)) == 0
    assert not OutgoingEmail.objects.filter(to=people[PI].email).exists()
