"""The call's guide (申报指南) is printed by a Celery task queued on commit."""

import pytest

from applications.services import call_guide_render, call_guide_request
from portal.audit.models import AuditEvent
from portal.jobs.models import Job, JobStatus
from tests.factories import (
    CallFieldFactory,
    FundingCallFactory,
    GuideTaskFactory,
    ResearchFieldFactory,
    UserFactory,
)
from tests.pdf_checks import pdf_missing_glyphs, pdf_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    call = FundingCallFactory(title_zh="2021年川渝联合实施重点研发项目")
    field = ResearchFieldFactory(code="ai")
    CallFieldFactory(call=call, field=field, quota=5)
    GuideTaskFactory(call=call, field=field, code="CY2021-AI-01", title_zh="成渝工业互联网平台关键技术")
    return call


def test_it_prints_the_guide_after_commit(call, django_capture_on_commit_callbacks):
    staff = UserFactory(role="bureau_staff", province="CQ")
    with django_capture_on_commit_callbacks(execute=True):
        job = call_guide_request(call=call, by=staff)
    job.refresh_from_db()
    call.refresh_from_db()
    assert job.status == JobStatus.DONE and job.done == 1
    pdf = call.guide_pdf.read()
    assert len(call.guide_pdf_sha256) == 64
    text = pdf_text(pdf)
    assert "2021年川渝联合实施重点研发项目申报指南" in text
    assert "成渝工业互联网平台关键技术" in text and "CY2021-AI-01" in text
    assert "200.00" in text  # the 2,000,000 yuan cap in 万元
    assert pdf_missing_glyphs(pdf) == 0
    assert AuditEvent.objects.filter(action="call.guide_render", object_id=str(call.pk)).count() == 1


def test_it_queues_nothing_when_the_transaction_rolls_back(call, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        call_guide_request(call=call)
    assert len(callbacks) == 1
    assert Job.objects.get().status == JobStatus.QUEUED


def test_running_the_job_twice_changes_nothing_the_second_time(call, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = call_guide_request(call=call)
    call.refresh_from_db()
    first = (call.guide_pdf.name, call.guide_pdf_sha256, call.guide_generated_at)
    call_guide_render(job_id=job.pk)
    call.refresh_from_db()
    assert (call.guide_pdf.name, call.guide_pdf_sha256, call.guide_generated_at) == first
    assert AuditEvent.objects.filter(action="call.guide_render").count() == 1


def test_a_failed_render_is_recorded_for_staff(call, monkeypatch, django_capture_on_commit_callbacks):
    def broken(html: str, **kwargs):
        raise RuntimeError("no fonts")

    monkeypatch.setattr("portal.pdf.render_pdf", broken)
    # In-process (no broker) the failure is recorded, never raised into the request.
    with django_capture_on_commit_callbacks(execute=True):
        job = call_guide_request(call=call)
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and "no fonts" in job.error


def test_a_failed_print_by_staff_still_answers_the_page(
    call, client, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("portal.pdf.render_pdf", lambda html, **kwargs: 1 / 0)
    client.force_login(UserFactory(role="bureau_staff", province="CQ"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/calls/{call.pk}/guide/print/")
    assert response.status_code == 302
    assert Job.objects.get().status == JobStatus.FAILED


def test_a_guide_file_missing_from_storage_is_a_404_not_a_500(
    call, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_guide_request(call=call)
    call.refresh_from_db()
    call.guide_pdf.storage.delete(call.guide_pdf.name)
    assert client.get(f"/calls/{call.pk}/guide.pdf").status_code == 404


def test_anyone_downloads_the_printed_guide(call, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_guide_request(call=call)
    response = client.get(f"/calls/{call.pk}/guide.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        "申报指南.pdf" in response["Content-Disposition"] or "filename*=" in response["Content-Disposition"]
    )
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_guide_not_printed_yet_is_a_404_page(call, client):
    response = client.get(f"/calls/{call.pk}/guide.pdf")
    assert response.status_code == 404


def test_an_applicant_may_not_print_the_guide(call, client):
    client.force_login(UserFactory(role="applicant"))
    response = client.post(f"/calls/{call.pk}/guide/print/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert "Only bureau staff or an administrator" in response.content.decode()
    chinese = client.post(f"/calls/{call.pk}/guide/print/")  # the default language
    assert "申报指南" in chinese.content.decode()
    assert not Job.objects.exists()


def test_staff_print_the_guide_and_see_the_download_on_the_call_page(
    call, client, django_capture_on_commit_callbacks
):
    client.force_login(UserFactory(role="bureau_staff", province="SC"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/calls/{call.pk}/guide/print/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    page = client.get(f"/calls/{call.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Download the guide" in page and f"/calls/{call.pk}/guide.pdf" in page


def test_with_htmx_staff_get_the_progress_that_polls_until_done(
    call, client, django_capture_on_commit_callbacks
):
    staff = UserFactory(role="bureau_staff", province="CQ")
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(f"/calls/{call.pk}/guide/print/", HTTP_HX_REQUEST="true")
    job = Job.objects.get()
    assert response.status_code == 200
    assert f'hx-get="/jobs/{job.pk}/' in response.content.decode()  # queued: it polls
    call_guide_render(job_id=job.pk)
    status = client.get(f"/jobs/{job.pk}/?next=/calls/{call.pk}/", HTTP_HX_REQUEST="true")
    assert status.status_code == 200 and "hx-get" not in status.content.decode()
    assert status["HX-Refresh"] == "true"


def test_another_applicant_cannot_watch_a_job(call, client):
    job = call_guide_request(call=call, by=UserFactory(role="bureau_staff", province="CQ"))
    client.force_login(UserFactory(role="applicant"))
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
