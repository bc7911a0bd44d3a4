"""The printed application (申报书 PDF) and the public page its QR code opens.

A draft prints its live rows with DRAFT on every page; after submission the print is the
frozen snapshot with its fingerprint, verification code and QR link; one print per version.
"""

import io
import re
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from applications.models import Application, PrintOut, Submission
from applications.printing import (
    PRINT_JOB,
    application_print_get_or_request,
    application_print_render,
    budget_grid,
    mask_id,
    period,
    plain_number,
    print_source,
)
from applications.selectors import application_with_parts
from applications.services import application_save, application_submit
from portal import pdf_environment
from portal.audit.models import AuditEvent
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import job_create
from tests.conftest import need
from tests.factories import make_ready_application
from tests.pdf_checks import pdf_fonts, pdf_missing_glyphs, pdf_text

pytestmark = pytest.mark.django_db

TITLE = "面向川渝的智能诊断系统研究"  # the title complete_document gives


@pytest.fixture(scope="module")
def pdf_machine() -> None:
    problems = pdf_environment.problems()
    need(not problems, "PDF printing needs: " + "; ".join(f"{p.message} {p.hint}" for p in problems))


@pytest.fixture
def draft() -> Application:
    return make_ready_application()


def submitted(application: Application) -> Application:
    return application_submit(application=application, by=application.pi)


def print_of(application: Application, capture) -> tuple[PrintOut, bytes]:
    """Ask for the print as the PI; the queued task runs when the request commits."""
    with capture(execute=True):
        application_print_get_or_request(application=application, by=application.pi)
    application.refresh_from_db()
    printout = PrintOut.objects.get(application=application, version=application.version)
    with printout.file.open("rb") as handle:
        return printout, handle.read()


def pages_text(pdf: bytes) -> list[str]:
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


# --- The draft print ----------------------------------------------------------------------


def test_a_draft_prints_its_rows_in_chinese_with_draft_on_every_page(
    pdf_machine, draft, django_capture_on_commit_callbacks
):
    printout, pdf = print_of(draft, django_capture_on_commit_callbacks)
    assert pdf.startswith(b"%PDF")
    assert not printout.official and printout.submission is None
    text = pdf_text(pdf)
    assert TITLE in text
    for heading in ("一、基本信息", "二、项目内容", "四、项目组成员", "七、经费预算", "九、诚信承诺"):
        assert heading in text
    pages = pages_text(pdf)
    assert len(pages) >= 2
    # The watermark (two lines) and the running header (one line), on every page.
    assert all("草稿\nDRAFT" in page and "草稿 DRAFT" in page for page in pages)
    assert all(f"— {n} —" in page for n, page in enumerate(pages, start=1))
    fonts = pdf_fonts(pdf)
    assert any("CJK" in name for name in fonts), fonts
    assert all(fonts.values()), f"fonts not embedded: {fonts}"
    assert pdf_missing_glyphs(pdf) == 0
    job = Job.objects.get(kind=PRINT_JOB)
    assert job.status == JobStatus.DONE and job.created_by == draft.pi
    assert AuditEvent.objects.filter(action="application.print_request", object_id=str(draft.pk)).count() == 1
    assert AuditEvent.objects.filter(action="application.print", object_id=str(draft.pk)).count() == 1


def test_the_print_masks_id_numbers_and_shows_the_budget_in_wan_yuan(
    pdf_machine, draft, django_capture_on_commit_callbacks
):
    _printout, pdf = print_of(draft, django_capture_on_commit_callbacks)
    text = pdf_text(pdf)
    number = draft.team.get(role="pi").id_number
    assert number not in text
    assert f"{number[:6]}********{number[-4:]}" in text
    # complete_document's budget: 1,500,000 yuan in all, 400,000 of it self-raised.
    assert "150.00" in text and "40.00" in text
    assert "单位：万元" in text


def test_script_in_the_abstract_prints_as_text(pdf_machine, draft, django_capture_on_commit_callbacks):
    script = "<script>alert(1)</script>"
    result = application_save(
        application=draft,
        data={"abstract": script, "title": "<b>粗体</b>标题"},
        version=draft.version,
        by=draft.pi,
    )
    assert not result.errors
    html = print_source(application_with_parts(draft.pk)).html
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>粗体</b>" not in html
    _printout, pdf = print_of(draft, django_capture_on_commit_callbacks)
    text = pdf_text(pdf)
    assert script in text and "<b>粗体</b>标题" in text


# --- The official print -------------------------------------------------------------------


def test_the_official_print_carries_the_fingerprint_the_code_and_the_link(
    pdf_machine, draft, django_capture_on_commit_callbacks
):
    application = submitted(draft)
    submission = application.submissions.get()
    printout, pdf = print_of(application, django_capture_on_commit_callbacks)
    assert printout.official and printout.submission == submission
    text = pdf_text(pdf)
    assert TITLE in text
    assert submission.sha256 in text
    assert submission.verification_code in text
    assert f"/applications/verify/{submission.verification_code}/" in re.sub(r"\s", "", text)
    assert "DRAFT" not in text and "草稿" not in text
    assert pdf_missing_glyphs(pdf) == 0
    assert all(submission.verification_code in page for page in pages_text(pdf))  # the running header


def test_the_official_print_shows_the_snapshot_not_the_live_rows(
    pdf_machine, draft, django_capture_on_commit_callbacks
):
    application = submitted(draft)
    # Rows changed behind the service's back must not reach the official print.
    Application.objects.filter(pk=application.pk).update(title="事后改动的标题")
    _printout, pdf = print_of(application, django_capture_on_commit_callbacks)
    text = pdf_text(pdf)
    assert TITLE in text and "事后改动的标题" not in text


@pytest.mark.django_db(transaction=True)
def test_with_eager_celery_the_request_answers_with_the_print(pdf_machine, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    application = make_ready_application()
    printout, job = application_print_get_or_request(application=application, by=application.pi)
    assert printout is not None and printout.version == application.version
    assert job is not None and job.status == JobStatus.DONE


# --- One print per version ----------------------------------------------------------------


def test_rendering_twice_keeps_one_print(pdf_machine, draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        _none, job = application_print_get_or_request(application=draft, by=draft.pi)
    application_print_render(job_id=job.pk)
    first = PrintOut.objects.get()
    again = application_print_render(job_id=job.pk)
    assert again.status == JobStatus.DONE
    # A second job for the same version finds the print and stops.
    other = job_create(kind=PRINT_JOB, obj=draft)
    assert application_print_render(job_id=other.pk).status == JobStatus.DONE
    assert list(PrintOut.objects.values_list("pk", "file", "sha256")) == [
        (first.pk, first.file.name, first.sha256)
    ]
    assert AuditEvent.objects.filter(action="application.print").count() == 1


def test_a_stored_print_is_answered_without_a_new_job(pdf_machine, draft, django_capture_on_commit_callbacks):
    printout, _pdf = print_of(draft, django_capture_on_commit_callbacks)
    draft.refresh_from_db()
    with django_capture_on_commit_callbacks() as callbacks:
        again, job = application_print_get_or_request(application=draft, by=draft.pi)
    assert (again, job) == (printout, None)
    assert callbacks == [] and Job.objects.count() == 1


def test_two_requests_while_printing_queue_one_job(draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        first = application_print_get_or_request(application=draft, by=draft.pi)
        second = application_print_get_or_request(application=draft, by=draft.pi)
    assert first[0] is None and second[0] is None
    assert first[1].pk == second[1].pk and first[1].status == JobStatus.QUEUED
    assert len(callbacks) == 1
    assert AuditEvent.objects.filter(action="application.print_request").count() == 1


def test_an_edit_asks_for_a_new_print(draft, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks():
        _none, first = application_print_get_or_request(application=draft, by=draft.pi)
    PrintOut.objects.create(application=draft, version=draft.version, file="x.pdf", sha256="0" * 64)
    result = application_save(
        application=draft, data={"abstract": "改过"}, version=draft.version, by=draft.pi
    )
    with django_capture_on_commit_callbacks():
        printout, job = application_print_get_or_request(application=result.application, by=draft.pi)
    assert printout is None and job is not None


def test_a_failed_render_is_recorded_and_stores_nothing(
    draft, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(html: str, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("portal.pdf.render_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        printout, _job = application_print_get_or_request(application=draft, by=draft.pi)
    assert printout is None
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and "no fonts" in job.error
    assert not PrintOut.objects.exists()


# --- Pure helpers -------------------------------------------------------------------------


def test_id_numbers_are_masked_but_for_region_and_check_part():
    assert mask_id("51010419800517123X") == "510104********123X"
    assert mask_id("E12345678") == "E1*****78"
    assert mask_id("") == ""


def test_the_period_reads_as_months():
    assert period("2022-01-01", 36) == "2022年1月至2024年12月（36个月）"
    assert period("2022-11-01", 2) == "2022年11月至2022年12月（2个月）"
    assert period(None, None) == ""


def test_targets_print_as_people_write_them():
    assert plain_number("95.00") == "95"
    assert plain_number("500.00") == "500"
    assert plain_number("2.50") == "2.5"


def test_the_budget_grid_totals_per_unit_and_source():
    document = {
        "lead_unit": {"uscc": "L", "name": "牵头"},
        "partners": [{"uscc": "P", "name": "合作"}],
        "budget": [
            {"unit_uscc": "L", "category": "equipment", "source": "cq_gov", "amount": "500000.00"},
            {"unit_uscc": "L", "category": "operating", "source": "self", "amount": "400000.00"},
            {"unit_uscc": "P", "category": "labour", "source": "sc_gov", "amount": "200000.00"},
        ],
    }
    grid = budget_grid(document)
    assert [u.name for u in grid["units"]] == ["牵头", "合作"]
    assert grid["units"][0].total == Decimal("900000.00")
    assert grid["by_source"] == [Decimal("200000.00"), Decimal("500000.00"), Decimal("400000.00")]
    assert grid["government"] == Decimal("700000.00") and grid["total"] == Decimal("1100000.00")


# --- The public verification page ---------------------------------------------------------


def test_anyone_sees_the_fingerprint_of_a_verification_code(client, draft):
    application_save(
        application=draft, data={"abstract": "只给评审看的摘要"}, version=draft.version, by=draft.pi
    )
    draft.refresh_from_db()
    submission = submitted(draft).submissions.get()
    response = client.get(f"/applications/verify/{submission.verification_code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    page = response.content.decode()
    assert submission.sha256 in page and submission.verification_code in page
    assert draft.reference in page and TITLE in page and draft.lead_unit.name in page
    assert "Submission number" in page and "(Beijing time)" in page
    assert "只给评审看的摘要" not in page  # never the content
    assert response["X-Robots-Tag"] == "noindex"
    chinese = client.get(f"/applications/verify/{submission.verification_code.lower()}/")
    assert chinese.status_code == 200 and submission.sha256 in chinese.content.decode()


@pytest.mark.parametrize("code", ["0123456789ABCDEF", "not-a-code", "%3Cscript%3E", "A" * 40])
def test_an_unknown_code_is_a_404_page(client, code):
    response = client.get(f"/applications/verify/{code}/")
    assert response.status_code == 404
    assert "<html" in response.content.decode().lower()


def test_a_print_replaced_by_a_later_submission_says_so(client, draft):
    application = submitted(draft)
    first = application.submissions.get()
    Submission.objects.create(
        application=application,
        number=2,
        document=first.document,
        sha256="b" * 64,
        verification_code="00000000000000AB",
        submitted_by=application.pi,
        submitted_at=timezone.now(),
    )
    old = client.get(f"/applications/verify/{first.verification_code}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "submitted again later (submission 2)" in old.content.decode()
    new = client.get("/applications/verify/00000000000000AB/", HTTP_ACCEPT_LANGUAGE="en")
    assert "submitted again later" not in new.content.decode()


def test_the_verify_page_costs_the_same_queries_for_any_submission(client, draft):
    application = submitted(draft)
    first = application.submissions.get()
    big = {**first.document, "team": first.document["team"] * 50}
    for number in range(2, 8):
        Submission.objects.create(
            application=application,
            number=number,
            document=big,
            sha256=f"{number:064x}",
            verification_code=f"{number:016X}",
            submitted_by=application.pi,
            submitted_at=timezone.now(),
        )
    counts = []
    for code in (first.verification_code, f"{7:016X}"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/applications/verify/{code}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1] == 2, counts


def test_the_verify_page_needs_no_sign_in_and_shows_beijing_time(client, draft):
    application = submitted(draft)
    submission = application.submissions.get()
    Submission.objects.filter(pk=submission.pk).update(submitted_at=datetime(2021, 6, 30, 16, 0, tzinfo=UTC))
    page = client.get(f"/applications/verify/{submission.verification_code}/").content.decode()
    assert 'datetime="2021-07-01T00:00+08:00"' in page
