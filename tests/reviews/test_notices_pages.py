"""The notice pages: the staff page of a call (start the batch, its progress, the list, failures
and their retry), one notice (versions, download, a new version), the leader's and the unit's
notices, and the public verification page; who may open them; their query counts."""

import hashlib
import re
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.jobs.models import Job, JobStatus
from reviews import notice_document
from reviews.models import AwardStatus, FundingNotice, NoticeStatus
from reviews.services.notices import new_verification_code
from tests.factories import FundingCallFactory, UserFactory
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_expert, make_staff

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = b"%PDF-1.7\n% a notice\n%%EOF\n"


@pytest.fixture(autouse=True)
def stub_renderer(monkeypatch):
    """Notices built by the pages' tasks get a small stub PDF (the real one: test_notices_pdf)."""
    monkeypatch.setattr(notice_document, "notice_pdf", lambda notice: PDF)


def built_notice(award=None, *, version: int = 1, current: bool = True, status: str = NoticeStatus.DONE):
    """A notice written directly, as the batch leaves it (numbered award, stored PDF)."""
    award = award or make_award(status=AwardStatus.FINAL)
    if award.notice_serial is None:
        serial = (FundingNotice.objects.filter(award__call=award.call).count() or 0) + 1
        award.notice_serial = serial
        award.notice_number = award.call.notice_number(serial)
        award.save(update_fields=["notice_serial", "notice_number"])
    notice = FundingNotice(
        award=award,
        version=version,
        current=current,
        number=award.notice_number,
        verification_code=new_verification_code(),
        status=status,
    )
    if status == NoticeStatus.DONE:
        notice.sha256 = hashlib.sha256(PDF).hexdigest()
        notice.generated_at = timezone.now()
        notice.file.save("notice.pdf", ContentFile(PDF), save=False)
    notice.save()
    return notice


def actor(name: str, notice: FundingNotice | None = None):
    application = notice.award.application if notice else None
    if name == "anonymous":
        return None
    if name in ("staff_sc", "staff_cq"):
        return make_staff(name[-2:].upper())
    if name == "admin":
        return UserFactory(role=Role.ADMIN)
    if name == "leader":
        return application.pi
    if name == "unit_admin":
        return UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit)
    if name == "partner_admin":
        return UserFactory(role=Role.UNIT_ADMIN, organization=application.partners.first().organization)
    if name == "teammate":
        return UserFactory(organization=application.lead_unit)
    if name == "expert":
        return make_expert().user
    return UserFactory(role=Role.APPLICANT)


def big_call():
    """A call whose budgets take 50 awards of 1 M yuan."""
    return FundingCallFactory(budget_sc=Decimal("100000000"), budget_cq=Decimal("100000000"))


STAFF = ["staff_sc", "staff_cq", "admin"]
READERS = [*STAFF, "leader", "unit_admin"]
NOT_READERS = ["applicant", "partner_admin", "teammate", "expert"]


# --- Who may open what -------------------------------------------------------------------------


@pytest.mark.parametrize("who", [*STAFF, "leader", "unit_admin", "applicant", "expert", "anonymous"])
def test_only_review_staff_open_the_notices_of_a_call(client, who):
    notice = built_notice()
    user = actor(who, notice)
    if user:
        client.force_login(user)

    response = client.get(reverse("reviews:notices", args=[notice.award.call_id]))

    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response["Location"]
    else:
        assert response.status_code == (200 if who in STAFF else 403)


@pytest.mark.parametrize("who", [*READERS, *NOT_READERS, "anonymous"])
def test_a_notice_and_its_pdf_are_for_staff_the_leader_and_the_lead_unit(client, who):
    notice = built_notice()
    user = actor(who, notice)
    if user:
        client.force_login(user)

    page = client.get(reverse("reviews:notice_detail", args=[notice.pk]))
    pdf = client.get(reverse("reviews:notice_pdf", args=[notice.pk]))

    if who == "anonymous":
        assert page.status_code == pdf.status_code == 302
    elif who in READERS:
        assert page.status_code == 200 and notice.number in page.content.decode()
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert b"".join(pdf.streaming_content) == PDF
        assert "attachment" in pdf["Content-Disposition"]
    else:
        assert page.status_code == pdf.status_code == 404
        assert notice.award.application.title not in page.content.decode()


@pytest.mark.parametrize("who", ["leader", "unit_admin", "applicant"])
def test_only_staff_make_a_new_version(client, who):
    notice = built_notice()
    client.force_login(actor(who, notice))

    response = client.post(reverse("reviews:notice_regenerate", args=[notice.pk]), {"reason": "更正"})

    assert response.status_code == (403 if who in ("leader", "unit_admin") else 404)
    assert FundingNotice.objects.count() == 1


# --- The staff page ------------------------------------------------------------------------------


def test_staff_start_the_batch_and_the_page_shows_the_notices(client, django_capture_on_commit_callbacks):
    award = make_award(status=AwardStatus.FINAL, title="川渝智能制造联合攻关")
    make_award(award.call, status=AwardStatus.FINAL, field="health")
    staff = make_staff("SC")
    client.force_login(staff)
    url = reverse("reviews:notices", args=[award.call_id])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "start"}, **EN)

    assert response.status_code == 302 and response["Location"] == url
    page = client.get(url, **EN).content.decode()
    assert "川渝联研〔2021〕1号" in page and "川渝联研〔2021〕2号" in page and "川渝智能制造联合攻关" in page
    assert page.count("badge--app-awarded") >= 2
    job = Job.objects.get()
    assert (job.status, job.done, job.total) == (JobStatus.DONE, 2, 2)
    assert f'id="job-{job.pk}"' in page


def test_with_no_worker_reachable_the_page_says_the_notices_are_queued(client):
    award = make_award(status=AwardStatus.FINAL)
    client.force_login(make_staff())
    url = reverse("reviews:notices", args=[award.call_id])

    # The commit callbacks never run here: as when the broker did not take the task.
    response = client.post(url, {"action": "start"}, follow=True, **EN)

    page = response.content.decode()
    assert response.status_code == 200
    assert "The notices are queued" in page and "queued: waiting for a worker" in page
    job = Job.objects.get()
    assert job.status == JobStatus.QUEUED
    # The progress polls the job while it is under way.
    assert f'hx-get="{reverse("jobs:status", args=[job.pk])}' in page


def test_a_call_without_final_awards_says_so(client):
    award = make_award(status=AwardStatus.ANNOUNCED)
    client.force_login(make_staff())
    url = reverse("reviews:notices", args=[award.call_id])

    response = client.post(url, {"action": "start"}, follow=True, **EN)

    assert "no final award yet" in response.content.decode()
    assert not Job.objects.exists()


def test_a_failed_notice_shows_its_error_and_can_be_retried(client, django_capture_on_commit_callbacks):
    notice = built_notice(status=NoticeStatus.FAILED)
    FundingNotice.objects.filter(pk=notice.pk).update(error="ValueError: the template broke", attempts=2)
    staff = make_staff("CQ")
    client.force_login(staff)
    url = reverse("reviews:notices", args=[notice.award.call_id])

    page = client.get(url, **EN).content.decode()
    assert "Failed notices" in page and "ValueError: the template broke" in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "retry", "notice": notice.pk}, **EN)

    assert response.status_code == 302
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.DONE, 1)
    assert AuditEvent.objects.filter(action="notice.retry", actor=staff).count() == 1


@pytest.mark.parametrize("value", ["999999", "abc", "", "１"])
def test_retrying_a_notice_of_another_call_or_nonsense_is_a_404(client, value):
    notice = built_notice(status=NoticeStatus.FAILED)
    other = built_notice(
        make_award(FundingCallFactory(), status=AwardStatus.FINAL), status=NoticeStatus.FAILED
    )
    client.force_login(make_staff())
    url = reverse("reviews:notices", args=[notice.award.call_id])

    assert client.post(url, {"action": "retry", "notice": value}).status_code == 404
    assert client.post(url, {"action": "retry", "notice": other.pk}).status_code == 404


@pytest.mark.parametrize("rows", [2, 50])
def test_the_notices_page_costs_the_same_for_few_and_many(client, django_assert_max_num_queries, rows):
    call = big_call()
    for _ in range(rows):
        built_notice(make_award(call, status=AwardStatus.FINAL, quota=100))
    client.force_login(make_staff())

    # Session, user, the call (with its fields), the awards, their current notices (with who
    # started them), the latest batch job.
    with django_assert_max_num_queries(9):
        response = client.get(reverse("reviews:notices", args=[call.pk]))

    assert len(response.context["awards"]) == rows


# --- One notice ----------------------------------------------------------------------------------


def test_staff_make_a_new_version_and_the_old_one_stays(client, django_capture_on_commit_callbacks):
    notice = built_notice()
    staff = make_staff("SC")
    client.force_login(staff)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("reviews:notice_regenerate", args=[notice.pk]), {"reason": "项目编号补录"}
        )

    new = FundingNotice.objects.get(current=True)
    assert response.status_code == 302 and response["Location"] == reverse(
        "reviews:notice_detail", args=[new.pk]
    )
    assert (new.version, new.status) == (2, NoticeStatus.DONE)
    page = client.get(reverse("reviews:notice_detail", args=[notice.pk]), **EN).content.decode()
    assert "has been replaced by a newer version" in page
    assert "Version 1" in page and "Version 2" in page
    assert notice.verification_code in page and new.verification_code in page


def test_a_new_version_without_a_reason_shows_the_form_again(client):
    notice = built_notice()
    client.force_login(make_staff())

    response = client.post(reverse("reviews:notice_regenerate", args=[notice.pk]), {"reason": "  "}, **EN)

    assert response.status_code == 400
    assert FundingNotice.objects.count() == 1


def test_no_new_version_while_one_is_being_built(client):
    notice = built_notice(status=NoticeStatus.PENDING)
    client.force_login(make_staff())

    response = client.post(reverse("reviews:notice_regenerate", args=[notice.pk]), {"reason": "更正"}, **EN)

    assert response.status_code == 409 and "still being built" in response.content.decode()


def test_a_notice_not_built_yet_has_no_pdf(client):
    notice = built_notice(status=NoticeStatus.PENDING)
    client.force_login(notice.award.application.pi)

    assert client.get(reverse("reviews:notice_pdf", args=[notice.pk])).status_code == 404
    page = client.get(reverse("reviews:notice_detail", args=[notice.pk]), **EN).content.decode()
    assert "is being built" in page


# --- The leader's and the unit's notices ---------------------------------------------------------


def test_my_notices_lists_the_leaders_and_the_units_current_notices(client):
    mine = built_notice()
    built_notice(mine.award, version=2, current=False)  # an old version is not listed
    other = built_notice()
    application = mine.award.application

    client.force_login(application.pi)
    page = client.get(reverse("reviews:my_notices")).content.decode()
    assert application.title in page and other.award.application.title not in page

    client.force_login(UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit))
    response = client.get(reverse("reviews:my_notices"))
    assert [n.pk for n in response.context["notices"]] == [mine.pk]

    client.force_login(UserFactory())
    assert list(client.get(reverse("reviews:my_notices")).context["notices"]) == []


@pytest.mark.parametrize("rows", [2, 50])
def test_my_notices_costs_the_same_for_few_and_many(client, django_assert_max_num_queries, rows):
    call = big_call()
    notices = [built_notice(make_award(call, status=AwardStatus.FINAL, quota=100)) for _ in range(rows)]
    unit = notices[0].award.application.lead_unit
    for notice in notices:
        application = notice.award.application
        application.lead_unit = unit
        application.save(update_fields=["lead_unit"])
    client.force_login(UserFactory(role=Role.UNIT_ADMIN, organization=unit))

    with django_assert_max_num_queries(4):
        response = client.get(reverse("reviews:my_notices"))

    assert len(response.context["notices"]) == rows


# --- Public verification -------------------------------------------------------------------------


def test_anyone_verifies_a_notice_by_its_code(client):
    notice = built_notice()
    award = notice.award

    response = client.get(reverse("public:notice_verify", args=[notice.verification_code.lower()]), **EN)

    page = response.content.decode()
    assert response.status_code == 200
    assert notice.number in page and award.application.title in page
    assert award.application.lead_unit.name in page
    assert "50.00" in page and "100.00" in page  # 万元: each side and in all
    assert notice.sha256 in page and "Current version" in page
    assert response["X-Robots-Tag"] == "noindex"
    assert award.application.pi.email not in page


def test_a_replaced_version_says_so_on_the_verification_page(client):
    old = built_notice(current=False)
    built_notice(old.award, version=2)

    page = client.get(reverse("public:notice_verify", args=[old.verification_code]), **EN).content.decode()

    assert "replaced by version 2" in page


@pytest.mark.parametrize("code", ["0123456789ABCDEF", "not-a-code", "%3Cscript%3E", "A" * 40, "pending"])
def test_an_unknown_code_is_a_404_page_that_tells_nothing(client, code):
    pending = built_notice(status=NoticeStatus.PENDING)
    if code == "pending":
        code = pending.verification_code  # built yet: nobody holds a PDF with it

    response = client.get(f"/notices/verify/{code}/")

    page = response.content.decode()
    assert response.status_code == 404 and "<html" in page.lower()
    assert pending.number not in page and pending.award.application.title not in page
    assert not re.search(r"[0-9a-f]{64}", page)


def test_the_verification_page_costs_the_same_queries_for_any_notice(client, django_assert_max_num_queries):
    current = built_notice()
    old = built_notice(current.award, version=2, current=False)
    for notice in (current, old):
        with django_assert_max_num_queries(2):
            assert (
                client.get(reverse("public:notice_verify", args=[notice.verification_code])).status_code
                == 200
            )
