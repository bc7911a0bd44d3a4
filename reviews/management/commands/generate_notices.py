"""``manage.py generate_notices --call ID [--wait] [--timeout SECONDS]``: start the funding-notice
batch of a call, as the notices page does (``reviews.services.notices.notices_batch_start``,
acting as the portal itself).

Without a broker the notices are built in this process before the command returns. With one
they are built by the workers; ``--wait`` polls the batch's job until it is over and prints
done/total/failed. The command exits non-zero when a notice failed (known at once without a
broker, after the wait with one) or the wait timed out.
"""

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from applications.models import FundingCall
from portal.jobs.models import Job, JobStatus
from reviews.services.notices import NoticeError, notices_batch_start

POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = (
        "Build the funding notices of a call's final awards (numbers, PDFs, emails to the project leaders)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--call", type=int, required=True, help="Id of the funding call.")
        parser.add_argument(
            "--wait", action="store_true", help="Wait until the batch is over and print done/total/failed."
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=1800.0,
            help="With --wait: give up after this many seconds (default %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call = FundingCall.objects.filter(pk=options["call"]).first()
        if call is None:
            raise CommandError(f"There is no funding call with id {options['call']}.")
        try:
            job = notices_batch_start(call=call, by=None)
        except NoticeError as error:
            raise CommandError(error.message) from error
        self.stdout.write(
            f"Batch job {job.pk}: {job.status}, {job.done}/{job.total} done, {job.failed} failed."
        )
        under_way = (JobStatus.QUEUED, JobStatus.RUNNING)
        if job.status in under_way and not options["wait"]:
            return
        deadline = time.monotonic() + options["timeout"]
        while job.status in under_way:
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Timed out after {options['timeout']:.0f} s: job {job.pk} is {job.status}, "
                    f"{job.done}/{job.total} done, {job.failed} failed."
                )
            time.sleep(POLL_SECONDS)
            job = Job.objects.get(pk=job.pk)
        self.stdout.write(f"{job.done}/{job.total} done, {job.failed} failed ({job.status}).")
        if job.status != JobStatus.DONE or job.failed:
            raise CommandError(job.error or f"The batch ended {job.status}.")
