"""The applications API: who sees and does what (owner, teammate, another applicant, the lead
unit's administrator, another unit's administrator, an anonymous visitor), what bad input
gets back (a 400 naming the field, nothing already saved lost), and how each workflow step
answers when it is not possible (409 for a stale or finished state, 400 after the deadline)."""

import sys
import types
from datetime import timedelta

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from applications import selectors
from applications.api.application_serializers import ApplicationDetailSerializer
from applications.models import Application, Attachment, BudgetLine, CallStatus, Partner, PrintOut, Submission
from applications.problems import problems_of
from applications.services import application_create, application_save, application_submit
from applications.workflow import STATES
from portal.accounts.roles import Role
from portal.jobs.models import Job
from tests.factories import (
    PDF_BYTES,
    FundingCallFactory,
    GuideTaskFactory,
    OrganizationFactory,
    UserFactory,
    complete_document,
    make_applicant,
    make_ready_application,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

ACTORS = ("pi", "teammate", "other_applicant", "unit_admin", "other_unit_admin", "anonymous")
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def list_url() -> str:
    return reverse("api-applications-list")


def detail_url(application: Application) -> str:
    return reverse("api-applications-detail", kwargs={"pk": application.pk})


def step_url(application: Application, step: str) -> str:
    return reverse(f"api-applications-{step}", kwargs={"pk": application.pk})


def fields_of(response) -> list:
    return [error["field"] for error in response.json()["errors"]]


def codes_of(response) -> list:
    return [error["code"] for error in response.json()["errors"]]


def reload(application: Application) -> Application:
    return selectors.application_with_parts(application.pk)


# --- The cast -----------------------------------------------------------------------------


@pytest.fixture
def lead():
    return OrganizationFactory()  # a Chongqing unit


@pytest.fixture
def partner():
    return OrganizationFactory(sichuan=True)


@pytest.fixture
def call():
    return FundingCallFactory()


@pytest.fixture
def pi(lead):
    return make_applicant(unit=lead)


@pytest.fixture
def teammate(partner):
    return make_applicant(unit=partner)


@pytest.fixture
def other_applicant():
    return make_applicant()


@pytest.fixture
def unit_admin(lead):
    return UserFactory(role=Role.UNIT_ADMIN, organization=lead)


@pytest.fixture
def other_unit_admin():
    return UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory())


@pytest.fixture
def as_actor(request):
    """A client signed in as one of the cast (by fixture name), or anonymous."""

    def client_for(name: str) -> APIClient:
        client = APIClient()
        if name != "anonymous":
            client.force_authenticate(request.getfixturevalue(name))
        return client

    return client_for


def with_teammate(application: Application, partner, teammate) -> Application:
    """The application's second team member is ``teammate``'s account (linked by email)."""
    team = complete_document(application, partner)["team"]
    team[1].update(name=teammate.full_name, id_number=teammate.id_number, email=teammate.email)
    result = application_save(
        application=application, data={"team": team}, version=application.version, by=application.pi
    )
    assert not result.errors, result.errors
    return reload(application)


@pytest.fixture
def draft(call, pi, partner, teammate) -> Application:
    """A draft that passes every rule of submission, with a teammate who has an account."""
    return with_teammate(make_ready_application(pi=pi, call=call, partner=partner), partner, teammate)


@pytest.fixture
def submitted(draft, pi) -> Application:
    return application_submit(application=draft, by=pi)


@pytest.fixture
def bare(call, pi) -> Application:
    """A draft just started: almost everything still missing."""
    return reload(application_create(call=call, by=pi))


# --- The list -----------------------------------------------------------------------------


class TestList:
    @pytest.mark.parametrize(
        ("actor", "sees_draft", "sees_submitted"),
        [
            ("pi", True, True),
            ("teammate", True, True),
            ("other_applicant", False, False),
            ("unit_admin", False, True),
            ("other_unit_admin", False, False),
        ],
    )
    def test_each_actor_sees_the_applications_that_are_theirs_to_see(
        self, as_actor, draft, pi, actor, sees_draft, sees_submitted
    ) -> None:
        client = as_actor(actor)

        before = client.get(list_url())
        application_submit(application=draft, by=pi)
        after = client.get(list_url())

        assert before.status_code == after.status_code == 200
        assert [row["id"] for row in before.json()["results"]] == ([draft.pk] if sees_draft else [])
        assert [row["id"] for row in after.json()["results"]] == ([draft.pk] if sees_submitted else [])

    def test_anonymous_visitors_must_sign_in(self, as_actor, draft) -> None:
        response = as_actor("anonymous").get(list_url())

        assert response.status_code == 401
        assert set(response.json()) == {"detail", "errors"}

    def test_a_row_carries_the_reference_status_and_version(self, as_actor, draft) -> None:
        response = as_actor("pi").get(list_url(), **EN)

        [row] = response.json()["results"]
        assert row["reference"] == draft.reference
        assert row["status"] == "draft"
        assert row["status_label"] == "Draft"
        assert row["version"] == draft.version
        assert row["call"] == {"id": draft.call_id, "year": draft.call.year, "title": draft.call.title_zh}
        assert row["guide_task"]["id"] == draft.guide_task_id
        assert row["lead_unit"]["uscc"] == draft.lead_unit.uscc
        assert row["pi"]["email"] == draft.pi.email

    @pytest.mark.parametrize("rows", [2, 50])
    def test_the_query_count_of_the_applicants_list_does_not_grow_with_rows(
        self, as_actor, call, pi, rows, django_assert_max_num_queries
    ) -> None:
        tasks = [GuideTaskFactory(call=call) for _ in range(2)]
        for index in range(rows):
            application_create(call=call, by=pi, guide_task=tasks[index % 2], title=f"课题{index}")
        client = as_actor("pi")

        with django_assert_max_num_queries(2):
            response = client.get(list_url())

        assert response.json()["count"] == rows

    @pytest.mark.parametrize("rows", [2, 50])
    def test_the_query_count_of_the_units_list_does_not_grow_with_rows(
        self, as_actor, call, lead, rows, django_assert_max_num_queries
    ) -> None:
        for _ in range(rows):
            application_create(call=call, by=make_applicant(unit=lead))
        # Test data only: in the portal, nothing but the workflow writes the status.
        Application.objects.update(status="submitted", submission_count=1)
        client = as_actor("unit_admin")

        with django_assert_max_num_queries(2):
            response = client.get(list_url())

        assert response.json()["count"] == rows


# --- Starting an application --------------------------------------------------------------


class TestCreate:
    def test_an_applicant_starts_a_draft_and_leads_it(self, as_actor, call, pi) -> None:
        task = GuideTaskFactory(call=call)

        response = as_actor("pi").post(
            list_url(), {"call": call.pk, "guide_task": task.pk, "title": "川渝智能诊断"}, format="json"
        )

        assert response.status_code == 201
        body = response.json()
        application = Application.objects.get(pk=body["id"])
        assert (application.pi, application.lead_unit, application.title) == (
            pi,
            pi.organization,
            "川渝智能诊断",
        )
        assert body["status"] == "draft"
        assert body["version"] == application.version
        assert body["guide_task"]["id"] == task.pk
        assert body["can_edit"] is True
        assert {problem["section"] for problem in body["problems"]} >= {"basics", "partners", "budget"}

    @pytest.mark.parametrize("actor", ["unit_admin", "other_unit_admin"])
    def test_it_refuses_those_who_may_not_apply_naming_the_call(self, as_actor, call, actor) -> None:
        response = as_actor(actor).post(list_url(), {"call": call.pk}, format="json")

        assert response.status_code == 400
        assert fields_of(response) == ["call"]
        assert codes_of(response) == ["not_allowed"]
        assert not Application.objects.exists()

    def test_it_refuses_a_call_past_its_deadline(self, as_actor, pi) -> None:
        closed = FundingCallFactory(submit_deadline=timezone.now() - timedelta(seconds=1))

        response = as_actor("pi").post(list_url(), {"call": closed.pk}, format="json")

        assert response.status_code == 400
        assert fields_of(response) == ["call"]
        assert not Application.objects.exists()

    def test_it_refuses_an_unknown_or_hidden_call(self, as_actor, pi) -> None:
        hidden = FundingCallFactory(status=CallStatus.DRAFT)

        for call_id in (hidden.pk, 999999):
            response = as_actor("pi").post(list_url(), {"call": call_id}, format="json")

            assert response.status_code == 400
            assert fields_of(response) == ["call"]
        assert not Application.objects.exists()

    def test_it_refuses_a_guide_task_of_another_call(self, as_actor, call, pi) -> None:
        elsewhere = GuideTaskFactory()

        response = as_actor("pi").post(
            list_url(), {"call": call.pk, "guide_task": elsewhere.pk}, format="json"
        )

        assert response.status_code == 400
        assert fields_of(response) == ["guide_task"]
        assert not Application.objects.exists()

    @pytest.mark.parametrize("title", ["题" * 10_000, "标题\x07"])
    def test_it_refuses_a_title_too_long_or_with_control_characters(self, as_actor, call, pi, title) -> None:
        response = as_actor("pi").post(list_url(), {"call": call.pk, "title": title}, format="json")

        assert response.status_code == 400
        assert fields_of(response) == ["title"]
        assert not Application.objects.exists()

    def test_anonymous_visitors_must_sign_in(self, as_actor, call) -> None:
        assert as_actor("anonymous").post(list_url(), {"call": call.pk}, format="json").status_code == 401
        assert not Application.objects.exists()


# --- Reading one --------------------------------------------------------------------------


class TestRetrieve:
    @pytest.mark.parametrize(
        ("actor", "draft_status", "submitted_status"),
        [
            ("pi", 200, 200),
            ("teammate", 200, 200),
            ("other_applicant", 404, 404),
            ("unit_admin", 404, 200),
            ("other_unit_admin", 404, 404),
            ("anonymous", 401, 401),
        ],
    )
    def test_each_actor_reads_what_is_theirs_to_read(
        self, as_actor, draft, pi, actor, draft_status, submitted_status
    ) -> None:
        client = as_actor(actor)

        before = client.get(detail_url(draft))
        application_submit(application=draft, by=pi)
        after = client.get(detail_url(draft))

        assert (before.status_code, after.status_code) == (draft_status, submitted_status)

    def test_what_may_not_be_seen_is_a_json_404_like_an_unknown_id(self, as_actor, draft) -> None:
        hidden = as_actor("other_applicant").get(detail_url(draft))
        unknown = as_actor("other_applicant").get(reverse("api-applications-detail", kwargs={"pk": 999999}))

        assert hidden.status_code == unknown.status_code == 404
        assert hidden.json() == unknown.json()
        assert hidden.json()["errors"][0]["code"] == "not_found"

    def test_it_returns_the_whole_document_with_its_standing(self, as_actor, draft, teammate) -> None:
        response = as_actor("pi").get(detail_url(draft), **EN)

        body = response.json()
        # The schema documents exactly what is returned.
        assert set(body) == set(ApplicationDetailSerializer().fields)
        assert body["reference"] == draft.reference
        assert body["status"] == "draft"
        assert body["status_label"] == "Draft"
        assert body["version"] == draft.version
        assert body["problems"] == []
        assert {move["action"] for move in body["moves"]} == {"submit", "withdraw"}
        assert body["submissions"] == []
        assert [member["email"] for member in body["team"]] == [draft.pi.email, teammate.email]
        assert {line["amount"] for line in body["budget"]} >= {"500000.00"}
        assert len(body["attachments"]) == 4

    def test_it_lists_what_is_still_missing(self, as_actor, bare) -> None:
        body = as_actor("pi").get(detail_url(bare), **EN).json()

        expected = [problem.as_dict() for problem in problems_of(bare)]
        assert body["problems"] == expected
        assert {"section", "field", "code", "message"} == set(body["problems"][0])
        assert "title" in [problem["field"] for problem in body["problems"]]

    def test_the_status_label_follows_the_request_language(self, as_actor, submitted) -> None:
        english = as_actor("pi").get(detail_url(submitted), **EN).json()
        chinese = as_actor("pi").get(detail_url(submitted), HTTP_ACCEPT_LANGUAGE="zh-hans").json()

        assert english["status_label"] == "Submitted — waiting for your unit"
        with translation.override("zh-hans"):
            assert chinese["status_label"] == str(STATES["submitted"].applicant_label)

    def test_a_teammate_may_not_submit_or_withdraw(self, as_actor, draft) -> None:
        body = as_actor("teammate").get(detail_url(draft)).json()

        assert body["moves"] == []
        assert body["can_edit"] is True

    def test_after_submission_it_shows_the_submission_and_the_units_moves(self, as_actor, submitted) -> None:
        row = Submission.objects.get(application=submitted)

        as_pi = as_actor("pi").get(detail_url(submitted)).json()
        as_unit = as_actor("unit_admin").get(detail_url(submitted)).json()

        [submission] = as_pi["submissions"]
        assert submission["number"] == 1
        assert submission["sha256"] == row.sha256
        assert submission["verification_code"] == row.verification_code
        assert submission["submitted_at"].endswith("+08:00")
        assert as_pi["can_edit"] is False
        assert [move["action"] for move in as_pi["moves"]] == ["withdraw"]
        assert {move["action"] for move in as_unit["moves"]} == {"endorse", "return"}
        assert all(move["deadline"] for move in as_unit["moves"])


# --- Saving -------------------------------------------------------------------------------


def patch(client: APIClient, application: Application, data: dict, **extra):
    return client.patch(detail_url(application), data, format="json", **extra)


class TestPatch:
    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("pi", 200),
            ("teammate", 200),
            ("other_applicant", 404),
            ("unit_admin", 404),
            ("other_unit_admin", 404),
            ("anonymous", 401),
        ],
    )
    def test_only_the_team_changes_a_draft(self, as_actor, draft, actor, expected) -> None:
        response = patch(as_actor(actor), draft, {"version": draft.version, "title": "新题目"})

        assert response.status_code == expected
        assert reload(draft).title == ("新题目" if expected == 200 else "面向川渝的智能诊断系统研究")
        if expected == 200:
            assert response.json()["title"] == "新题目"
            assert response.json()["version"] == draft.version + 1

    @pytest.mark.parametrize(
        ("actor", "expected", "code"),
        [
            ("pi", 409, "not_editable"),
            ("teammate", 409, "not_editable"),
            ("unit_admin", 403, "permission_denied"),
            ("other_applicant", 404, "not_found"),
            ("other_unit_admin", 404, "not_found"),
        ],
    )
    def test_after_submission_nobody_changes_it(self, as_actor, submitted, actor, expected, code) -> None:
        response = patch(as_actor(actor), submitted, {"version": submitted.version, "title": "改"}, **EN)

        assert response.status_code == expected
        assert codes_of(response) == [code]
        if actor == "unit_admin":
            assert response.json()["detail"] == "Only the project team may change the application."
        assert reload(submitted).title == "面向川渝的智能诊断系统研究"

    def test_it_requires_the_version(self, as_actor, draft) -> None:
        response = patch(as_actor("pi"), draft, {"title": "新题目"})

        assert response.status_code == 400
        assert fields_of(response) == ["version"]
        assert codes_of(response) == ["required"]
        assert reload(draft).title == "面向川渝的智能诊断系统研究"

    def test_it_refuses_a_version_that_is_not_a_number(self, as_actor, draft) -> None:
        response = patch(as_actor("pi"), draft, {"version": "abc", "title": "新题目"})

        assert response.status_code == 400
        assert fields_of(response) == ["version"]

    def test_it_refuses_a_body_that_is_not_an_object(self, as_actor, draft) -> None:
        response = patch(as_actor("pi"), draft, [{"version": draft.version}])

        assert response.status_code == 400
        assert set(response.json()) == {"detail", "errors"}

    def test_it_refuses_unknown_keys_and_saves_nothing(self, as_actor, draft) -> None:
        response = patch(as_actor("pi"), draft, {"version": draft.version, "title": "新题目", "titel": "x"})

        assert response.status_code == 400
        assert fields_of(response) == ["titel"]
        assert reload(draft).version == draft.version

    def test_a_stale_version_is_refused_and_the_newer_save_kept(self, as_actor, draft) -> None:
        client = as_actor("pi")

        first = patch(client, draft, {"version": draft.version, "title": "第一次保存"})
        second = patch(client, draft, {"version": draft.version, "title": "旧窗口的修改"})

        assert first.status_code == 200
        assert second.status_code == 409
        assert second.json()["errors"] == [
            {"field": "version", "code": "stale", "message": second.json()["errors"][0]["message"]}
        ]
        assert reload(draft).title == "第一次保存"

    def test_a_draft_with_invalid_parts_still_saves_the_valid_ones(self, as_actor, draft) -> None:
        budget = list(BudgetLine.objects.filter(application=draft).values_list("unit_uscc", "amount"))
        bad_budget = [
            {"unit_uscc": draft.lead_unit.uscc, "category": "equipment", "source": "cq_gov", "amount": "-5"}
        ]

        response = patch(
            as_actor("pi"), draft, {"version": draft.version, "title": "保存了的题目", "budget": bad_budget}
        )

        assert response.status_code == 400
        body = response.json()
        assert body["saved"] == ["title"]
        assert body["version"] == draft.version + 1
        assert [(e["section"], e["field"]) for e in body["errors"]] == [("budget", "budget[0].amount")]
        after = reload(draft)
        assert after.title == "保存了的题目"
        assert list(BudgetLine.objects.filter(application=draft).values_list("unit_uscc", "amount")) == budget

    @pytest.mark.parametrize("amount", [-1, "-0.01", "abc", "1.234", 1.234])
    def test_it_refuses_a_bad_budget_amount_and_keeps_the_budget(self, as_actor, draft, amount) -> None:
        before = list(
            BudgetLine.objects.filter(application=draft).values_list("unit_uscc", "category", "amount")
        )
        line = {
            "unit_uscc": draft.lead_unit.uscc,
            "category": "equipment",
            "source": "cq_gov",
            "amount": amount,
        }

        response = patch(as_actor("pi"), draft, {"version": draft.version, "budget": [line]})

        assert response.status_code == 400
        assert fields_of(response) == ["budget[0].amount"]
        assert response.json()["saved"] == []
        after = list(
            BudgetLine.objects.filter(application=draft).values_list("unit_uscc", "category", "amount")
        )
        assert after == before

    @pytest.mark.parametrize(("title", "code"), [("题" * 10_000, "title"), ("标题\x07响铃", "title")])
    def test_it_refuses_a_bad_title_and_keeps_the_old_one(self, as_actor, draft, title, code) -> None:
        response = patch(as_actor("pi"), draft, {"version": draft.version, "title": title})

        assert response.status_code == 400
        assert fields_of(response) == [code]
        assert response.json()["errors"][0]["section"] == "basics"
        assert reload(draft).title == "面向川渝的智能诊断系统研究"

    def test_html_is_stored_and_returned_as_text(self, as_actor, draft) -> None:
        text = '<script>alert("x")</script><b>粗体</b> & 1 < 2'

        response = patch(as_actor("pi"), draft, {"version": draft.version, "abstract": text})

        assert response.status_code == 200
        assert response.json()["abstract"] == text
        assert reload(draft).abstract == text
        assert as_actor("teammate").get(detail_url(draft)).json()["abstract"] == text

    def test_the_lead_unit_cannot_be_its_own_partner(self, as_actor, draft, lead) -> None:
        before = list(Partner.objects.filter(application=draft).values_list("uscc", flat=True))
        attempts = [
            [{"organization": lead.pk}],
            [{"name": lead.name, "uscc": lead.uscc, "province": "CQ"}],
        ]

        for partners in attempts:
            response = patch(as_actor("pi"), draft, {"version": reload(draft).version, "partners": partners})

            assert response.status_code == 400
            assert [(e["section"], e["field"]) for e in response.json()["errors"]] == [
                ("partners", "partners[0].uscc")
            ]
        assert list(Partner.objects.filter(application=draft).values_list("uscc", flat=True)) == before

    def test_a_client_may_send_back_the_document_it_read(self, as_actor, draft, teammate) -> None:
        client = as_actor("pi")
        document = client.get(detail_url(draft)).json()
        document["title"] = "改过的题目"

        response = patch(client, draft, document)

        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["title"] == "改过的题目"
        assert body["problems"] == []
        assert body["team"] == document["team"]
        assert body["budget"] == document["budget"]
        assert reload(draft).team.get(role="core").user == teammate

    def test_a_returned_application_can_be_changed_again(self, as_actor, submitted) -> None:
        as_actor("unit_admin").post(step_url(submitted, "return"), {"reason": "预算需调整"}, format="json")
        returned = reload(submitted)

        response = patch(as_actor("pi"), returned, {"version": returned.version, "title": "修改后"})

        assert response.status_code == 200
        assert reload(submitted).title == "修改后"


# --- Attachments --------------------------------------------------------------------------


def upload(client: APIClient, application: Application, **fields):
    data = {"kind": "proposal", "version": reload(application).version, **fields}
    data.setdefault("file", pdf_upload("申报书.pdf", PDF_BYTES + b"% new\n"))
    return client.post(step_url(application, "attachments"), data, format="multipart")


def raw_multipart(fields: dict, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart body with the file name exactly as given (the test client keeps only the
    base name of a path)."""
    boundary = "portal-test-boundary"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class TestAttachments:
    def stored(self, application: Application) -> str:
        return Attachment.objects.get(application=application, kind="proposal").sha256

    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("pi", 201),
            ("teammate", 201),
            ("other_applicant", 404),
            ("unit_admin", 404),
            ("other_unit_admin", 404),
            ("anonymous", 401),
        ],
    )
    def test_only_the_team_uploads(self, as_actor, draft, actor, expected) -> None:
        before = self.stored(draft)

        response = upload(as_actor(actor), draft)

        assert response.status_code == expected
        if expected == 201:
            body = response.json()
            assert body["kind"] == "proposal"
            assert body["name"] == "申报书.pdf"
            assert body["size"] == len(PDF_BYTES) + len(b"% new\n")
            assert body["sha256"] == self.stored(draft) != before
            assert reload(draft).version == draft.version + 1
        else:
            assert self.stored(draft) == before

    def test_the_units_administrator_may_read_but_not_upload(self, as_actor, submitted) -> None:
        response = upload(as_actor("unit_admin"), submitted)

        assert response.status_code == 403

    def test_after_submission_the_team_cannot_upload(self, as_actor, submitted) -> None:
        response = upload(as_actor("pi"), submitted)

        assert response.status_code == 409
        assert codes_of(response) == ["not_editable"]

    def test_a_file_that_is_not_a_pdf_is_refused_whatever_its_name(self, as_actor, draft) -> None:
        before = self.stored(draft)

        response = upload(as_actor("pi"), draft, file=SimpleUploadedFile("scan.pdf", b"GIF89a not a pdf"))

        assert response.status_code == 400
        assert fields_of(response) == ["file"]
        assert codes_of(response) == ["not_pdf"]
        assert self.stored(draft) == before

    def test_a_file_over_20_mb_is_refused(self, as_actor, draft) -> None:
        before = self.stored(draft)
        big = SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (20 * 1024 * 1024 - 4), "application/pdf")

        response = upload(as_actor("pi"), draft, file=big)

        assert response.status_code == 400
        assert fields_of(response) == ["file"]
        assert codes_of(response) == ["too_large"]
        assert self.stored(draft) == before

    def test_a_path_in_the_file_name_never_reaches_the_storage(self, as_actor, draft, settings) -> None:
        # Django keeps only the last part of an uploaded file's name; the file is stored under
        # its fingerprint in the application's folder.
        body, content_type = raw_multipart(
            {"kind": "proposal", "version": draft.version}, "../../x.pdf", PDF_BYTES + b"% path\n"
        )

        response = as_actor("pi").generic(
            "POST", step_url(draft, "attachments"), body, content_type=content_type
        )

        assert response.status_code == 201
        assert response.json()["name"] == "x.pdf"
        attachment = Attachment.objects.get(application=draft, kind="proposal")
        assert attachment.file.name.startswith(f"applications/{draft.pk}/proposal-")
        assert ".." not in attachment.file.name

    def test_a_file_name_that_is_a_parent_directory_is_refused(self, as_actor, draft) -> None:
        name = ".."
        before = self.stored(draft)
        body, content_type = raw_multipart({"kind": "proposal", "version": draft.version}, name, PDF_BYTES)

        response = as_actor("pi").generic(
            "POST", step_url(draft, "attachments"), body, content_type=content_type
        )

        assert response.status_code == 400
        assert fields_of(response) == ["file"]
        assert self.stored(draft) == before

    def test_it_refuses_a_stale_version(self, as_actor, draft) -> None:
        before = self.stored(draft)

        response = upload(as_actor("pi"), draft, version=draft.version - 1)

        assert response.status_code == 409
        assert codes_of(response) == ["stale"]
        assert self.stored(draft) == before

    def test_it_names_a_missing_or_unknown_kind(self, as_actor, draft) -> None:
        missing = as_actor("pi").post(
            step_url(draft, "attachments"),
            {"version": draft.version, "file": pdf_upload()},
            format="multipart",
        )
        unknown = upload(as_actor("pi"), draft, kind="photo")

        assert (missing.status_code, fields_of(missing)) == (400, ["kind"])
        assert (unknown.status_code, fields_of(unknown)) == (400, ["kind"])

    def test_a_partner_form_must_name_a_partner(self, as_actor, draft) -> None:
        response = upload(as_actor("pi"), draft, kind="partner_form", partner_uscc=draft.lead_unit.uscc)

        assert response.status_code == 400
        assert fields_of(response) == ["partner_uscc"]


# --- The commitment -----------------------------------------------------------------------


class TestCommitment:
    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("pi", 200),
            ("teammate", 403),
            ("other_applicant", 404),
            ("unit_admin", 404),
            ("other_unit_admin", 404),
            ("anonymous", 401),
        ],
    )
    def test_only_the_project_leader_signs(self, as_actor, draft, actor, expected) -> None:
        response = as_actor(actor).post(
            step_url(draft, "commitment"), {"version": draft.version, "committed": False}, format="json"
        )

        assert response.status_code == expected
        assert (reload(draft).integrity_committed_at is None) == (expected == 200)

    def test_the_leader_signs_and_takes_it_back(self, as_actor, bare) -> None:
        client = as_actor("pi")

        signed = client.post(
            step_url(bare, "commitment"), {"version": bare.version, "committed": True}, format="json"
        )
        unsigned = client.post(
            step_url(bare, "commitment"), {"version": bare.version + 1, "committed": False}, format="json"
        )

        assert signed.json()["integrity_committed_at"] is not None
        assert unsigned.json()["integrity_committed_at"] is None
        assert "commitment" in [problem["section"] for problem in unsigned.json()["problems"]]

    def test_it_names_a_missing_version_and_refuses_a_stale_one(self, as_actor, bare) -> None:
        missing = as_actor("pi").post(step_url(bare, "commitment"), {"committed": True}, format="json")
        stale = as_actor("pi").post(
            step_url(bare, "commitment"), {"version": bare.version + 5, "committed": True}, format="json"
        )

        assert (missing.status_code, fields_of(missing)) == (400, ["version"])
        assert (stale.status_code, codes_of(stale)) == (409, ["stale"])
        assert reload(bare).integrity_committed_at is None

    def test_the_units_administrator_may_read_but_not_sign(self, as_actor, submitted) -> None:
        response = as_actor("unit_admin").post(
            step_url(submitted, "commitment"),
            {"version": submitted.version, "committed": False},
            format="json",
        )

        assert response.status_code == 403
        assert reload(submitted).integrity_committed_at is not None


# --- Submission ---------------------------------------------------------------------------


class TestSubmit:
    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("pi", 200),
            ("teammate", 403),
            ("other_applicant", 404),
            ("unit_admin", 404),
            ("other_unit_admin", 404),
            ("anonymous", 401),
        ],
    )
    def test_only_the_project_leader_submits(self, as_actor, draft, actor, expected) -> None:
        response = as_actor(actor).post(step_url(draft, "submit"))

        assert response.status_code == expected
        assert reload(draft).status == ("submitted" if expected == 200 else "draft")
        assert Submission.objects.filter(application=draft).count() == (1 if expected == 200 else 0)

    def test_it_answers_with_the_frozen_submission(self, as_actor, draft) -> None:
        response = as_actor("pi").post(step_url(draft, "submit"), **EN)

        body = response.json()
        row = Submission.objects.get(application=draft)
        assert body["status"] == "submitted"
        assert body["status_label"] == "Submitted — waiting for your unit"
        assert body["version"] == reload(draft).version
        assert body["submission"]["number"] == 1
        assert body["submission"]["sha256"] == row.sha256
        assert body["submission"]["verification_code"] == row.verification_code

    def test_it_refuses_an_incomplete_application_naming_every_problem(self, as_actor, bare) -> None:
        expected = [problem.as_dict() for problem in problems_of(bare)]

        response = as_actor("pi").post(step_url(bare, "submit"))

        assert response.status_code == 400
        assert response.json()["errors"] == expected
        assert len(expected) > 5
        assert reload(bare).status == "draft"
        assert not Submission.objects.exists()

    def test_submitting_twice_submits_once(self, as_actor, draft) -> None:
        client = as_actor("pi")

        first = client.post(step_url(draft, "submit"))
        second = client.post(step_url(draft, "submit"))

        assert first.status_code == 200
        assert second.status_code == 409
        assert codes_of(second) == ["state"]
        assert Submission.objects.filter(application=draft).count() == 1

    def test_it_refuses_one_second_after_the_deadline(self, as_actor, draft) -> None:
        draft.call.submit_deadline = timezone.now() - timedelta(seconds=1)
        draft.call.save(update_fields=["submit_deadline"])

        response = as_actor("pi").post(step_url(draft, "submit"), **EN)

        assert response.status_code == 400
        assert "deadline_passed" in codes_of(response)
        assert any("deadline" in error["message"] for error in response.json()["errors"])
        assert reload(draft).status == "draft"
        assert not Submission.objects.exists()


# --- The other moves ----------------------------------------------------------------------


class TestWithdraw:
    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("pi", 200),
            ("teammate", 403),
            ("other_applicant", 404),
            ("unit_admin", 404),
            ("other_unit_admin", 404),
            ("anonymous", 401),
        ],
    )
    def test_only_the_project_leader_withdraws(self, as_actor, draft, actor, expected) -> None:
        response = as_actor(actor).post(step_url(draft, "withdraw"), {"reason": "团队调整"}, format="json")

        assert response.status_code == expected
        assert reload(draft).status == ("withdrawn" if expected == 200 else "draft")
        if expected == 200:
            assert response.json()["status"] == "withdrawn"

    def test_the_units_administrator_may_not_withdraw_it(self, as_actor, submitted) -> None:
        response = as_actor("unit_admin").post(step_url(submitted, "withdraw"), {}, format="json")

        assert response.status_code == 403
        assert reload(submitted).status == "submitted"

    def test_withdrawing_twice_is_a_conflict(self, as_actor, draft) -> None:
        client = as_actor("pi")

        client.post(step_url(draft, "withdraw"), {}, format="json")
        second = client.post(step_url(draft, "withdraw"), {}, format="json")

        assert second.status_code == 409
        assert codes_of(second) == ["state"]


class TestEndorseAndReturn:
    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("unit_admin", 200),
            ("pi", 403),
            ("teammate", 403),
            ("other_applicant", 404),
            ("other_unit_admin", 404),
            ("anonymous", 401),
        ],
    )
    def test_only_the_lead_units_administrator_endorses(self, as_actor, submitted, actor, expected) -> None:
        response = as_actor(actor).post(step_url(submitted, "endorse"))

        assert response.status_code == expected
        assert reload(submitted).status == ("endorsed" if expected == 200 else "submitted")

    @pytest.mark.parametrize(
        ("actor", "expected"),
        [
            ("unit_admin", 200),
            ("pi", 403),
            ("teammate", 403),
            ("other_applicant", 404),
            ("other_unit_admin", 404),
            ("anonymous", 401),
        ],
    )
    def test_only_the_lead_units_administrator_returns(self, as_actor, submitted, actor, expected) -> None:
        response = as_actor(actor).post(
            step_url(submitted, "return"), {"reason": "预算需调整"}, format="json"
        )

        assert response.status_code == expected
        assert reload(submitted).status == ("returned" if expected == 200 else "submitted")

    def test_a_draft_does_not_exist_for_the_unit(self, as_actor, draft) -> None:
        response = as_actor("unit_admin").post(step_url(draft, "endorse"))

        assert response.status_code == 404
        assert reload(draft).status == "draft"

    @pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
    def test_a_return_needs_a_reason(self, as_actor, submitted, body) -> None:
        response = as_actor("unit_admin").post(step_url(submitted, "return"), body, format="json")

        assert response.status_code == 400
        assert fields_of(response) == ["reason"]
        assert reload(submitted).status == "submitted"

    def test_endorsing_twice_is_a_conflict(self, as_actor, submitted) -> None:
        client = as_actor("unit_admin")

        client.post(step_url(submitted, "endorse"))
        second = client.post(step_url(submitted, "endorse"))

        assert second.status_code == 409
        assert reload(submitted).status == "endorsed"

    def test_the_unit_cannot_endorse_after_its_deadline(self, as_actor, submitted) -> None:
        submitted.call.submit_deadline = timezone.now() - timedelta(seconds=2)
        submitted.call.endorse_deadline = timezone.now() - timedelta(seconds=1)
        submitted.call.save(update_fields=["submit_deadline", "endorse_deadline"])

        response = as_actor("unit_admin").post(step_url(submitted, "endorse"))

        assert response.status_code == 400
        assert codes_of(response) == ["deadline"]
        assert reload(submitted).status == "submitted"


# --- The print ----------------------------------------------------------------------------


@pytest.fixture
def fake_printing(monkeypatch):
    """Stands in for applications.printing: answers what ``answer`` holds."""
    answer: dict = {}

    def application_print_get_or_request(*, application, by):
        answer["called_by"] = by
        return answer["printout"], answer["job"]

    module = types.ModuleType("applications.printing")
    module.application_print_get_or_request = application_print_get_or_request
    monkeypatch.setitem(sys.modules, "applications.printing", module)
    return answer


class TestPdf:
    def test_a_printed_version_is_served_as_a_pdf(self, as_actor, draft, fake_printing) -> None:
        printout = PrintOut(application=draft, version=draft.version, sha256="a" * 64)
        printout.file.save("print.pdf", ContentFile(PDF_BYTES), save=True)
        fake_printing.update(printout=printout, job=None)

        response = as_actor("teammate").get(step_url(draft, "pdf"), HTTP_ACCEPT="application/pdf")

        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f"application-{draft.reference}.pdf" in response["Content-Disposition"]
        assert b"".join(response.streaming_content) == PDF_BYTES

    def test_an_unprinted_version_answers_with_the_job_to_watch(
        self, as_actor, pi, draft, fake_printing
    ) -> None:
        job = Job.objects.create(kind="application.print", created_by=pi)
        fake_printing.update(printout=None, job=job)

        response = as_actor("pi").get(step_url(draft, "pdf"))

        assert response.status_code == 202
        assert response.json() == {"job": job.pk, "status": "queued", "status_url": f"/jobs/{job.pk}/"}
        assert fake_printing["called_by"] == pi

    @pytest.mark.parametrize(
        ("actor", "expected"),
        [("other_applicant", 404), ("other_unit_admin", 404), ("unit_admin", 404), ("anonymous", 401)],
    )
    def test_those_who_may_not_read_it_get_nothing(
        self, as_actor, draft, fake_printing, actor, expected
    ) -> None:
        response = as_actor(actor).get(step_url(draft, "pdf"))

        assert response.status_code == expected
        assert "called_by" not in fake_printing

    def test_the_unit_reads_the_print_of_a_submitted_application(
        self, as_actor, submitted, fake_printing
    ) -> None:
        job = Job.objects.create(kind="application.print")
        fake_printing.update(printout=None, job=job)

        assert as_actor("unit_admin").get(step_url(submitted, "pdf")).status_code == 202

    def test_the_print_is_made_and_then_served(
        self, as_actor, draft, django_capture_on_commit_callbacks
    ) -> None:
        pytest.importorskip("applications.printing")
        client = as_actor("pi")

        with django_capture_on_commit_callbacks(execute=True):
            first = client.get(step_url(draft, "pdf"))
        response = first if first.status_code == 200 else client.get(step_url(draft, "pdf"))

        assert first.status_code in (200, 202)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert f"application-{draft.reference}.pdf" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")


# --- The schema ---------------------------------------------------------------------------

PATHS = {
    "/api/v1/applications/": {"get", "post"},
    "/api/v1/applications/{id}/": {"get", "patch"},
    "/api/v1/applications/{id}/attachments/": {"post"},
    "/api/v1/applications/{id}/commitment/": {"post"},
    "/api/v1/applications/{id}/submit/": {"post"},
    "/api/v1/applications/{id}/withdraw/": {"post"},
    "/api/v1/applications/{id}/endorse/": {"post"},
    "/api/v1/applications/{id}/return/": {"post"},
    "/api/v1/applications/{id}/pdf/": {"get"},
}


def test_the_schema_documents_every_step_and_its_answers(client) -> None:
    schema = client.get("/api/schema/", {"format": "json"}).json()

    paths = schema["paths"]
    for url, methods in PATHS.items():
        assert set(paths[url]) == methods, url
    ref = "#/components/schemas/"
    patch_answers = paths["/api/v1/applications/{id}/"]["patch"]["responses"]
    assert patch_answers["400"]["content"]["application/json"]["schema"] == {"$ref": ref + "SaveRefused"}
    assert {"200", "400", "403", "404", "409"} <= set(patch_answers)
    submit_answers = paths["/api/v1/applications/{id}/submit/"]["post"]["responses"]
    assert submit_answers["400"]["content"]["application/json"]["schema"] == {"$ref": ref + "ProblemsError"}
    assert "application/pdf" in paths["/api/v1/applications/{id}/pdf/"]["get"]["responses"]["200"]["content"]
    assert (
        "multipart/form-data"
        in paths["/api/v1/applications/{id}/attachments/"]["post"]["requestBody"]["content"]
    )
    assert set(schema["components"]["schemas"]["Problem"]["properties"]) == {
        "section",
        "field",
        "code",
        "message",
    }
