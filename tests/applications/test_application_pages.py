"""The application pages: my applications, starting one, the overview with its moves (submit,
withdraw, endorse, return), the print, and the unit administrator's list."""

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import Application, FundingCall, PrintOut, Submission, TeamMember
from applications.services import application_create, application_move, application_submit
from applications.workflow import STATES
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.jobs.models import Job
from portal.shell.navigation import optional_url
from tests.factories import (
    PDF_BYTES,
    FundingCallFactory,
    GuideTaskFactory,
    OrganizationFactory,
    UserFactory,
    make_applicant,
    make_ready_application,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
BEIJING = ZoneInfo("Asia/Shanghai")


@dataclass
class World:
    application: Application
    owner: User
    teammate: User
    other_applicant: User
    lead_admin: User
    other_admin: User

    def actor(self, name: str) -> User | None:
        return None if name == "anonymous" else getattr(self, name)


def make_world(status: str = "draft") -> World:
    """A ready application with a teammate who has an account, and the people around it."""
    application = make_ready_application()
    teammate = make_applicant(unit=application.lead_unit)
    TeamMember.objects.filter(application=application, role="core").update(user=teammate)
    world = World(
        application=application,
        owner=application.pi,
        teammate=teammate,
        other_applicant=make_applicant(),
        lead_admin=UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit),
        other_admin=UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory()),
    )
    if status != "draft":
        application_submit(application=application, by=world.owner)
    if status == "endorsed":
        application_move(application=reloaded(application), action="endorse", by=world.lead_admin)
    return world


def reloaded(application: Application) -> Application:
    return Application.objects.select_related("call").get(pk=application.pk)


def url(name: str, application: Application) -> str:
    return reverse(f"applications:{name}", args=[application.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


@pytest.fixture
def fake_print(monkeypatch):
    """The printing service answers a stored print (the PDF machinery has tests of its own)."""

    def print_get_or_request(*, application, by):
        printout = PrintOut.objects.filter(application=application, version=application.version).first()
        if printout is None:
            printout = PrintOut(application=application, version=application.version, sha256="0" * 64)
            printout.file.save("print.pdf", ContentFile(PDF_BYTES), save=True)
        return printout, None

    monkeypatch.setattr("applications.printing.application_print_get_or_request", print_get_or_request)


# --- The actor matrix ---------------------------------------------------------------------

ACTORS = ("owner", "teammate", "other_applicant", "lead_admin", "other_admin", "anonymous")

# endpoint → (state of the application, method, data, {actor: (HTTP status, status afterwards)})
MATRIX = {
    "detail": (
        "submitted",
        "get",
        {},
        {
            "owner": (200, "submitted"),
            "teammate": (200, "submitted"),
            "other_applicant": (404, "submitted"),
            "lead_admin": (200, "submitted"),
            "other_admin": (404, "submitted"),
        },
    ),
    "submit": (
        "draft",
        "post",
        {},
        {
            "owner": (302, "submitted"),
            "teammate": (302, "draft"),
            "other_applicant": (404, "draft"),
            # A draft is the team's alone: the unit does not see it yet.
            "lead_admin": (404, "draft"),
            "other_admin": (404, "draft"),
        },
    ),
    "withdraw": (
        "submitted",
        "post",
        {"reason": ""},
        {
            "owner": (302, "withdrawn"),
            "teammate": (302, "submitted"),
            "other_applicant": (404, "submitted"),
            "lead_admin": (302, "submitted"),
            "other_admin": (404, "submitted"),
        },
    ),
    "endorse": (
        "submitted",
        "post",
        {},
        {
            "owner": (302, "submitted"),
            "teammate": (302, "submitted"),
            "other_applicant": (404, "submitted"),
            "lead_admin": (302, "endorsed"),
            "other_admin": (404, "submitted"),
        },
    ),
    "return": (
        "submitted",
        "post",
        {"reason": "请补充合作协议"},
        {
            "owner": (302, "submitted"),
            "teammate": (302, "submitted"),
            "other_applicant": (404, "submitted"),
            "lead_admin": (302, "returned"),
            "other_admin": (404, "submitted"),
        },
    ),
    "print": (
        "submitted",
        "get",
        {},
        {
            "owner": (200, "submitted"),
            "teammate": (200, "submitted"),
            "other_applicant": (404, "submitted"),
            "lead_admin": (200, "submitted"),
            "other_admin": (404, "submitted"),
        },
    ),
}


@pytest.mark.usefixtures("fake_print")
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_the_actor_matrix(client, endpoint, actor):
    state, method, data, expected = MATRIX[endpoint]
    world = make_world(state)
    user = world.actor(actor)
    if user is not None:
        client.force_login(user)

    response = getattr(client, method)(url(endpoint, world.application), data)

    if user is None:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
        assert reloaded(world.application).status == state
        return
    code, status_after = expected[actor]
    assert response.status_code == code
    assert reloaded(world.application).status == status_after
    if code == 302:
        assert response["Location"] == url("detail", world.application)


def test_a_refused_move_says_why(client):
    world = make_world("submitted")
    client.force_login(world.owner)

    response = client.post(url("endorse", world.application), follow=True, **EN)

    assert "You may not do this on this application." in messages_of(response)


def test_the_lead_unit_admin_does_not_see_a_draft(client):
    world = make_world("draft")
    client.force_login(world.lead_admin)

    assert client.get(url("detail", world.application)).status_code == 404


def test_an_unknown_application_is_a_404(client):
    client.force_login(make_applicant())

    assert client.get("/applications/987654/").status_code == 404


# --- Submit ---------------------------------------------------------------------------------


def test_a_ready_application_is_submitted_through_the_page(client):
    world = make_world("draft")
    client.force_login(world.owner)

    response = client.post(url("submit", world.application), follow=True, **EN)

    application = reloaded(world.application)
    assert application.status == "submitted"
    assert Submission.objects.filter(application=application).count() == 1
    submission = Submission.objects.get(application=application)
    assert response.status_code == 200
    assert "The application has been submitted." in " ".join(messages_of(response))
    # The overview lists the submission with its fingerprint and verification code.
    assert submission.sha256 in response.text
    assert submission.verification_code in response.text
    verify = optional_url("applications:verify", submission.verification_code)
    if verify is not None:  # the public verification page links from here once it exists
        assert f'href="{verify}"' in response.text


def test_an_incomplete_application_lists_every_problem_by_section(client):
    pi = make_applicant()
    application = application_create(call=FundingCallFactory(), by=pi)
    client.force_login(pi)

    response = client.post(url("submit", application), **EN)

    assert response.status_code == 400
    assert reloaded(application).status == "draft"
    assert not Submission.objects.filter(application=application).exists()
    page = response.text
    for label in (
        "Basic data",
        "Content",
        "Partner units",
        "Performance indicators",
        "Budget",
        "Attachments",
    ):
        assert label in page
    for section in ("basics", "content", "partners", "indicators", "attachments", "commitment"):
        assert f'id="problems-{section}"' in page
        assert url("detail", application) + f"edit/{section}/" in page
    assert 'data-code="no_technical"' in page
    assert "Fill in the project title." in page
    assert "Give at least one technical indicator." in page
    assert "The application cannot be submitted yet" in page


def test_a_second_submit_gives_a_message_and_keeps_one_submission(client):
    world = make_world("draft")
    client.force_login(world.owner)
    client.post(url("submit", world.application))

    response = client.post(url("submit", world.application), follow=True, **EN)

    assert response.status_code == 200
    assert response.redirect_chain == [(url("detail", world.application), 302)]
    assert any("already been submitted" in m for m in messages_of(response))
    assert Submission.objects.filter(application=world.application).count() == 1


def test_it_refuses_a_submit_one_second_after_the_deadline(client):
    world = make_world("draft")
    FundingCall.objects.filter(pk=world.application.call_id).update(
        submit_deadline=timezone.now() - timedelta(seconds=1)
    )
    client.force_login(world.owner)

    response = client.post(url("submit", world.application), **EN)

    assert response.status_code == 400
    assert "The applicants&#x27; deadline of the call has passed." in response.text
    assert reloaded(world.application).status == "draft"
    assert not Submission.objects.filter(application=world.application).exists()


def test_a_teammate_cannot_submit(client):
    world = make_world("draft")
    client.force_login(world.teammate)

    response = client.post(url("submit", world.application), follow=True, **EN)

    assert "Only the project leader can submit the application." in messages_of(response)
    assert reloaded(world.application).status == "draft"


# --- Endorse, return, withdraw --------------------------------------------------------------


def test_the_unit_admin_endorses(client):
    world = make_world("submitted")
    client.force_login(world.lead_admin)

    response = client.post(url("endorse", world.application), follow=True, **EN)

    assert reloaded(world.application).status == "endorsed"
    assert any("endorsed" in m for m in messages_of(response))


def test_returning_without_a_reason_shows_the_field_error(client):
    world = make_world("submitted")
    client.force_login(world.lead_admin)

    response = client.post(url("return", world.application), {"reason": "  "}, **EN)

    assert response.status_code == 400
    assert "Please say why the application is returned" in response.text
    assert 'id="return-reason"' in response.text
    assert reloaded(world.application).status == "submitted"


def test_a_returned_application_shows_who_when_and_why_in_the_applicants_language(client):
    world = make_world("submitted")
    client.force_login(world.lead_admin)
    client.post(url("return", world.application), {"reason": "请补充<b>合作协议</b>"})
    assert reloaded(world.application).status == "returned"
    event_time = world.application.__class__.objects.get(pk=world.application.pk).updated_at.astimezone(
        BEIJING
    )

    client.force_login(world.owner)
    english = client.get(url("detail", world.application), **EN).text
    chinese = client.get(url("detail", world.application), HTTP_ACCEPT_LANGUAGE="zh-hans").text

    timeline = english.split('class="timeline"', 1)[1]
    assert "Submitted — waiting for your unit" in timeline
    assert "Returned to you for revision" in timeline
    assert world.lead_admin.full_name in timeline
    assert "请补充&lt;b&gt;合作协议&lt;/b&gt;" in timeline
    assert event_time.isoformat(timespec="minutes") in timeline
    with translation.override("zh-hans"):
        returned_zh = str(STATES["returned"].applicant_label)
        submitted_zh = str(STATES["submitted"].applicant_label)
    zh_timeline = chinese.split('class="timeline"', 1)[1]
    assert returned_zh in zh_timeline
    assert submitted_zh in zh_timeline
    assert '<html lang="zh-hans">' in chinese


def test_the_pi_withdraws_with_an_optional_reason(client):
    world = make_world("submitted")
    client.force_login(world.owner)

    response = client.post(url("withdraw", world.application), {"reason": "团队调整"}, follow=True, **EN)

    assert reloaded(world.application).status == "withdrawn"
    assert "The application has been withdrawn." in messages_of(response)
    assert "团队调整" in response.text


def test_a_move_after_the_endorsement_deadline_says_so(client):
    world = make_world("submitted")
    now = timezone.now()
    FundingCall.objects.filter(pk=world.application.call_id).update(
        submit_deadline=now - timedelta(seconds=2), endorse_deadline=now - timedelta(seconds=1)
    )
    client.force_login(world.lead_admin)

    response = client.post(url("endorse", world.application), follow=True, **EN)

    assert any("The deadline for this step was" in m for m in messages_of(response))
    assert reloaded(world.application).status == "submitted"


# --- The overview -----------------------------------------------------------------------------


def test_the_overview_marks_sections_and_offers_the_moves_of_the_user(client):
    pi = make_applicant()
    application = application_create(call=FundingCallFactory(), by=pi)
    client.force_login(pi)

    page = client.get(url("detail", application), **EN).text

    assert 'class="section-mark section-mark--missing" data-section="basics"' in page
    assert url("submit", application) in page
    assert url("withdraw", application) in page
    assert url("endorse", application) not in page
    assert url("print", application) in page


def test_the_unit_admin_sees_a_summary_and_the_endorsement_moves(client):
    world = make_world("submitted")
    client.force_login(world.lead_admin)

    page = client.get(url("detail", world.application), **EN).text

    assert url("endorse", world.application) in page
    assert url("return", world.application) in page
    assert url("submit", world.application) not in page
    assert "Content in brief" in page
    # The budget totals of make_ready_application in 万元: 150.00 in all.
    assert "150.00" in page


def test_html_in_the_title_is_escaped_on_the_list_and_the_overview(client):
    world = make_world("draft")
    Application.objects.filter(pk=world.application.pk).update(title="<script>alert(1)</script>")
    client.force_login(world.owner)

    for page in (
        client.get(reverse("applications:list")).text,
        client.get(url("detail", world.application)).text,
    ):
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "<script>alert(1)" not in page


# --- Print ----------------------------------------------------------------------------------------


@pytest.mark.usefixtures("fake_print")
def test_the_print_is_served_inline_as_a_pdf(client):
    world = make_world("submitted")
    client.force_login(world.owner)

    response = client.get(url("print", world.application))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline")
    assert f"application-{world.application.reference}.pdf" in disposition
    assert b"".join(response.streaming_content) == PDF_BYTES
    response.close()


def test_a_print_under_way_shows_the_job_progress(client, monkeypatch):
    world = make_world("draft")
    client.force_login(world.owner)

    def print_get_or_request(*, application, by):
        return None, Job.objects.create(kind="application.pdf", created_by=by)

    monkeypatch.setattr("applications.printing.application_print_get_or_request", print_get_or_request)

    response = client.get(url("print", world.application))

    job = Job.objects.get()
    assert response.status_code == 200
    assert reverse("jobs:status", args=[job.pk]) in response.text
    assert "hx-get" in response.text


# --- My applications ----------------------------------------------------------------------------


def test_my_applications_lists_mine_and_my_teams_not_others(client):
    world = make_world("submitted")
    own = application_create(call=FundingCallFactory(), by=world.teammate, title="我自己的申报")
    stranger = application_create(call=FundingCallFactory(), by=world.other_applicant, title="别人的申报")
    client.force_login(world.teammate)

    response = client.get(reverse("applications:list"), **EN)

    page = response.text
    assert url("detail", world.application) in page
    assert url("detail", own) in page
    assert url("detail", stranger) not in page
    assert "Submitted — waiting for your unit" in page


def test_a_unit_admin_is_sent_to_the_unit_list(client):
    client.force_login(UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory()))

    response = client.get(reverse("applications:list"))

    assert response.status_code == 302
    assert response["Location"] == reverse("applications:unit_list")


@pytest.mark.parametrize("rows", [2, 50])
def test_my_applications_costs_the_same_for_few_and_many(client, django_assert_max_num_queries, rows):
    pi = make_applicant()
    for _ in range(rows):
        application_create(call=FundingCallFactory(), by=pi, guide_task=None, title="申报")
    client.force_login(pi)

    # Session, user, the count and the page.
    with django_assert_max_num_queries(4):
        response = client.get(reverse("applications:list"))

    assert len(response.context["applications"]) == min(rows, 25)


# --- New application ------------------------------------------------------------------------------


def test_the_new_page_preselects_the_task_and_creates_the_draft(client):
    call = FundingCallFactory()
    task = GuideTaskFactory(call=call)
    GuideTaskFactory(call=call)
    pi = make_applicant()
    client.force_login(pi)
    new_url = reverse("applications:new") + f"?call={call.pk}&task={task.pk}"

    page = client.get(new_url).text
    assert f'<option value="{task.pk}" selected>' in page

    response = client.post(new_url, {"guide_task": task.pk, "title": "新的项目"})

    application = Application.objects.get(pi=pi)
    assert response.status_code == 302
    assert response["Location"] == reverse("applications:edit", args=[application.pk, "basics"])
    assert application.guide_task == task
    assert application.title == "新的项目"


def test_the_new_page_says_why_one_may_not_apply(client):
    call = FundingCallFactory()
    GuideTaskFactory(call=call)
    client.force_login(UserFactory(role=Role.APPLICANT))
    new_url = reverse("applications:new") + f"?call={call.pk}"

    page = client.get(new_url, **EN).text
    response = client.post(new_url, {"guide_task": call.tasks.get().pk}, **EN)

    assert "Join your unit first" in page
    assert response.status_code == 403
    assert not Application.objects.exists()


def test_the_new_page_refuses_a_task_of_another_call(client):
    call = FundingCallFactory()
    GuideTaskFactory(call=call)
    foreign = GuideTaskFactory(call=FundingCallFactory())
    client.force_login(make_applicant())

    response = client.post(reverse("applications:new") + f"?call={call.pk}", {"guide_task": foreign.pk}, **EN)

    assert response.status_code == 400
    assert "Choose one of the guide tasks of this call." in response.text
    assert not Application.objects.exists()


def test_the_new_page_without_a_call_goes_to_the_calls(client):
    client.force_login(make_applicant())

    response = client.get(reverse("applications:new"))

    assert response.status_code == 302
    assert response["Location"] == reverse("calls:list")


def test_the_call_page_offers_apply_or_says_why_not(client):
    call = FundingCallFactory()
    client.force_login(make_applicant())
    assert (
        reverse("applications:new") + f"?call={call.pk}"
        in client.get(reverse("calls:detail", args=[call.pk])).text
    )

    client.force_login(UserFactory(role=Role.APPLICANT))
    page = client.get(reverse("calls:detail", args=[call.pk]), **EN).text
    assert reverse("applications:new") not in page
    assert "Join your unit first" in page


# --- The unit's list ------------------------------------------------------------------------------


def test_the_unit_list_puts_those_waiting_for_endorsement_first(client):
    world = make_world("endorsed")
    waiting = make_ready_application(pi=make_applicant(unit=world.application.lead_unit))
    application_submit(application=waiting, by=waiting.pi)
    draft = application_create(call=FundingCallFactory(), by=make_applicant(unit=world.application.lead_unit))
    client.force_login(world.lead_admin)

    response = client.get(reverse("applications:unit_list"), **EN)

    assert [a.pk for a in response.context["waiting"]] == [waiting.pk]
    assert [a.pk for a in response.context["others"]] == [world.application.pk]
    page = response.text
    assert page.index(url("detail", waiting)) < page.index(url("detail", world.application))
    assert url("detail", draft) not in page


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.BUREAU_STAFF, Role.REVIEWER])
def test_the_unit_list_is_a_404_for_others(client, role):
    province = "SC" if role == Role.BUREAU_STAFF else ""
    client.force_login(UserFactory(role=role, organization=OrganizationFactory(), province=province))

    assert client.get(reverse("applications:unit_list")).status_code == 404


def test_the_unit_list_sends_visitors_to_sign_in(client):
    response = client.get(reverse("applications:unit_list"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("rows", [2, 50])
def test_the_unit_list_costs_the_same_for_few_and_many(client, django_assert_max_num_queries, rows):
    unit = OrganizationFactory()
    pi = make_applicant(unit=unit)
    call = FundingCallFactory()
    created = [
        application_create(call=call, by=pi, guide_task=GuideTaskFactory(call=call)) for _ in range(rows)
    ]
    half = [a.pk for a in created[: rows // 2]]
    submitted = {"submitted_at": timezone.now(), "submission_count": 1}
    Application.objects.filter(pk__in=half).update(status="submitted", **submitted)
    Application.objects.exclude(pk__in=half).update(status="endorsed", **submitted)
    client.force_login(UserFactory(role=Role.UNIT_ADMIN, organization=unit))

    # Session, user, the unit, those waiting, the count and the page of the others.
    with django_assert_max_num_queries(6):
        response = client.get(reverse("applications:unit_list"))

    assert len(response.context["waiting"]) == rows // 2
    assert len(response.context["others"]) == min(rows - rows // 2, 25)


# --- Home pages -------------------------------------------------------------------------------------


def test_the_applicants_home_lists_their_applications(client):
    world = make_world("submitted")
    client.force_login(world.owner)

    page = client.get("/", **EN).text

    assert url("detail", world.application) in page
    assert "Submitted — waiting for your unit" in page


def test_the_unit_admins_home_lists_what_waits_for_endorsement(client):
    world = make_world("submitted")
    client.force_login(world.lead_admin)

    page = client.get("/", **EN).text

    assert url("detail", world.application) in page
    assert reverse("applications:unit_list") in page
