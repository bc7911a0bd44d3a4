"""The notices API and the jobs API: start a call's batch (202 with the job), follow the job,
list the notices, download one, make a new version; who may do what; query counts."""

import hashlib
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from portal.accounts.roles import Role
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import job_create
from reviews import notice_document
from reviews.models import AwardStatus, FundingNotice, NoticeStatus
from reviews.services.notices import new_verification_code
from tests.factories import FundingCallFactory, UserFactory
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_expert, make_staff

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n% a notice\n%%EOF\n"


@pytest.fixture(autouse=True)
def stub_renderer(monkeypatch):
    monkeypatch.setattr(notice_document, "notice_pdf", lambda notice: PDF)


def built_notice(award=None, *, status: str = NoticeStatus.DONE) -> FundingNotice:
    award = award or make_award(status=AwardStatus.FINAL)
    serial = FundingNotice.objects.filter(award__call=award.call).count() + 1
    award.notice_serial, award.notice_number = serial, award.call.notice_number(serial)
    award.save(update_fields=["notice_serial", "notice_number"])
    notice = FundingNotice(
        award=award, number=award.notice_number, verification_code=new_verification_code(), status=status
    )
    if status == NoticeStatus.DONE:
        notice.sha256 = hashlib.sha256(PDF).hexdigest()
        notice.generated_at = timezone.now()
        notice.file.save("notice.pdf", ContentFile(PDF), save=False)
    notice.save()
    return notice


def codes(response) -> list[tuple[str | None, str]]:
    return [(error["field"], error["code"]) for error in response.json()["errors"]]


def batch_url(call) -> str:
    return f"/api/v1/calls/{call.pk}/notices/"


# --- The batch and its job -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_staff_start_the_batch_and_follow_its_job(api_client):
    award = make_award(status=AwardStatus.FINAL)
    make_award(award.call, status=AwardStatus.FINAL, field="eco")
    staff = make_staff("CQ")
    api_client.force_authenticate(staff)

    response = api_client.post(batch_url(award.call), format="json")

    assert response.status_code == 202
    job = Job.objects.get()
    # Without a broker the batch ran at commit: the answer already says done.
    assert response.json() == {"job": job.pk, "status": "done", "status_url": f"/api/v1/jobs/{job.pk}/"}
    followed = api_client.get(f"/api/v1/jobs/{job.pk}/")
    assert followed.status_code == 200
    assert followed.json() == {
        "id": job.pk,
        "kind": "notices.batch",
        "status": "done",
        "done": 2,
        "total": 2,
        "failed": 0,
        "error": "",
    }
    listed = api_client.get(batch_url(award.call)).json()
    assert [n["number"] for n in listed] == ["川渝联研〔2021〕1号", "川渝联研〔2021〕2号"]
    assert all(n["status"] == "done" and n["pdf_url"] for n in listed)
    assert listed[0]["amount_sc"] == "500000.00"


def test_the_batch_answers_queued_when_the_task_did_not_run(api_client):
    award = make_award(status=AwardStatus.FINAL)
    api_client.force_authenticate(make_staff())

    # In a test transaction the commit callbacks never run: as when the broker is away.
    response = api_client.post(batch_url(award.call), format="json")

    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert Job.objects.get().status == JobStatus.QUEUED


def test_a_call_without_final_awards_is_a_conflict(api_client):
    award = make_award(status=AwardStatus.APPROVED)
    api_client.force_authenticate(make_staff())

    response = api_client.post(batch_url(award.call), format="json")

    assert response.status_code == 409 and codes(response) == [(None, "state")]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.UNIT_ADMIN, Role.REVIEWER])
def test_only_review_staff_use_the_batch(api_client, role):
    award = make_award(status=AwardStatus.FINAL)
    api_client.force_authenticate(UserFactory(role=role))

    assert api_client.post(batch_url(award.call), format="json").status_code == 403
    assert api_client.get(batch_url(award.call)).status_code == 403
    assert not Job.objects.exists()


def test_anonymous_callers_are_asked_to_sign_in(api_client):
    award = make_award(status=AwardStatus.FINAL)
    notice = built_notice(award)
    job = job_create(kind="notices.batch", obj=award.call)
    for url in (batch_url(award.call), f"/api/v1/notices/{notice.pk}/pdf/", f"/api/v1/jobs/{job.pk}/"):
        assert api_client.get(url).status_code == 401, url


def test_an_unknown_call_is_a_404(api_client):
    api_client.force_authenticate(make_staff())
    assert api_client.post("/api/v1/calls/999999/notices/", format="json").status_code == 404


def test_a_job_is_for_its_creator_and_managers_only(api_client):
    creator = make_staff("SC")
    job = job_create(kind="notices.batch", obj=FundingCallFactory(), total=3, by=creator)

    for user, expected in (
        (creator, 200),
        (make_staff("CQ"), 200),
        (UserFactory(role=Role.ADMIN), 200),
        (UserFactory(), 404),
        (make_expert().user, 404),
    ):
        api_client.force_authenticate(user)
        assert api_client.get(f"/api/v1/jobs/{job.pk}/").status_code == expected
    api_client.force_authenticate(creator)
    assert api_client.get("/api/v1/jobs/999999/").status_code == 404


@pytest.mark.parametrize("rows", [2, 50])
def test_the_list_costs_the_same_for_few_and_many(api_client, django_assert_max_num_queries, rows):
    call = FundingCallFactory(budget_sc=Decimal("100000000"), budget_cq=Decimal("100000000"))
    for _ in range(rows):
        built_notice(make_award(call, status=AwardStatus.FINAL, quota=100))
    api_client.force_authenticate(make_staff())

    with django_assert_max_num_queries(3):
        response = api_client.get(batch_url(call))

    assert len(response.json()) == rows


# --- The PDF -------------------------------------------------------------------------------------


def test_the_leader_downloads_the_pdf(api_client):
    notice = built_notice()
    api_client.force_authenticate(notice.award.application.pi)

    response = api_client.get(f"/api/v1/notices/{notice.pk}/pdf/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF


def test_a_notice_being_built_has_no_pdf_yet(api_client):
    notice = built_notice(status=NoticeStatus.PENDING)
    api_client.force_authenticate(make_staff())

    response = api_client.get(f"/api/v1/notices/{notice.pk}/pdf/")

    assert response.status_code == 409 and codes(response) == [(None, "not_built")]


@pytest.mark.parametrize("who", ["applicant", "partner_admin", "expert"])
def test_someone_elses_notice_is_a_404(api_client, who):
    notice = built_notice()
    users = {
        "applicant": lambda: UserFactory(),
        "partner_admin": lambda: UserFactory(
            role=Role.UNIT_ADMIN, organization=notice.award.application.partners.first().organization
        ),
        "expert": lambda: make_expert().user,
    }
    api_client.force_authenticate(users[who]())

    assert api_client.get(f"/api/v1/notices/{notice.pk}/pdf/").status_code == 404
    assert api_client.post(f"/api/v1/notices/{notice.pk}/regenerate/", {"reason": "x"}).status_code == 404


# --- New versions --------------------------------------------------------------------------------


def test_staff_make_a_new_version(api_client, django_capture_on_commit_callbacks):
    notice = built_notice()
    api_client.force_authenticate(make_staff("SC"))

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            f"/api/v1/notices/{notice.pk}/regenerate/", {"reason": "单位名称变更"}, format="json"
        )

    assert response.status_code == 202
    body = response.json()
    assert (body["version"], body["current"], body["number"]) == (2, True, notice.number)
    assert body["verification_code"] != notice.verification_code
    notice.refresh_from_db()
    assert notice.current is False
    assert FundingNotice.objects.get(pk=body["id"]).status == NoticeStatus.DONE


def test_a_new_version_needs_a_reason_and_a_built_current_one(api_client):
    notice = built_notice()
    api_client.force_authenticate(make_staff())

    missing = api_client.post(f"/api/v1/notices/{notice.pk}/regenerate/", {}, format="json")
    blank = api_client.post(f"/api/v1/notices/{notice.pk}/regenerate/", {"reason": "   "}, format="json")
    assert missing.status_code == blank.status_code == 400
    assert codes(missing) == [("reason", "required")]

    pending = built_notice(status=NoticeStatus.PENDING)
    busy = api_client.post(f"/api/v1/notices/{pending.pk}/regenerate/", {"reason": "更正"}, format="json")
    assert busy.status_code == 409 and codes(busy) == [(None, "state")]


def test_the_leader_may_read_but_not_make_a_new_version(api_client):
    notice = built_notice()
    api_client.force_authenticate(notice.award.application.pi)

    response = api_client.post(f"/api/v1/notices/{notice.pk}/regenerate/", {"reason": "更正"}, format="json")

    assert response.status_code == 403
    assert FundingNotice.objects.count() == 1
