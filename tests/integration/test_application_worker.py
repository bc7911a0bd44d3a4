"""A submission through a real worker: the status emails are written and sent by tasks queued
on commit through Redis, and the official print of the application is built by the worker."""

import pytest
from django.core.files.storage import default_storage

from applications.printing import application_print_get_or_request
from applications.services import application_submit
from portal.jobs.models import Job, JobStatus
from portal.mail.models import EmailStatus, OutgoingEmail
from tests.factories import UserFactory, make_ready_application
from tests.integration.conftest import Worker
from tests.pdf_checks import pdf_text

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 60.0


def test_a_submission_is_notified_and_printed_by_the_worker(worker: Worker) -> None:
    application = make_ready_application()
    admin = UserFactory(role="unit_admin", organization=application.lead_unit)

    application = application_submit(application=application, by=application.pi)

    def sent_to(address: str) -> bool:
        return OutgoingEmail.objects.filter(
            to=address, kind="application_status", status=EmailStatus.SENT
        ).exists()

    worker.wait_for(
        lambda: sent_to(application.pi.email) and sent_to(admin.email), "the status emails", TIMEOUT
    )
    assert OutgoingEmail.objects.filter(kind="application_status").count() == 2

    printout, job = application_print_get_or_request(application=application, by=application.pi)
    assert printout is None and job is not None  # the worker prints it, not the web process
    worker.wait_for(
        lambda: Job.objects.filter(pk=job.pk, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists(),
        "the print job",
        TIMEOUT,
    )
    assert Job.objects.get(pk=job.pk).status == JobStatus.DONE
    printout, _job = application_print_get_or_request(application=application, by=application.pi)
    with default_storage.open(printout.file.name, "rb") as stored:
        text = pdf_text(stored.read())
    assert application.latest_submission.sha256 in text.replace("\n", "")
    assert printout.official
