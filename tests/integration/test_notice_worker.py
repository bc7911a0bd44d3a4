"""Funding notices through real Celery workers, PostgreSQL and Redis.

- A batch of ten: queued on commit through Redis, built by the worker, every notice exactly
  once (one PDF file, one render event, one email each) and the job done.
- A worker killed with SIGKILL in the middle of a batch: once a worker is back and the beat
  sweep has run, the batch finishes with every notice exactly once — the notice whose
  message died with the worker (unacknowledged in Redis until the visibility timeout) is
  sent again by ``notices_requeue_stale``.
- Redis down when staff start a batch: the page redirects and says queued, the API answers
  202 queued, the job waits; when Redis is back the stale-job sweep sends it and a worker
  builds every notice.
- Numbers asked for by two threads at once: no duplicate, no gap.

The fault tests run their own workers on a throwaway redis-server (``throwaway_redis``), so
that the session's worker on the shared broker is neither killed nor in the way.
"""

import hashlib
import os
import signal
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

from applications.models import FundingCall
from bench.load.services import Redis
from portal.audit.models import AuditEvent
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import jobs_requeue_stale
from portal.mail.models import OutgoingEmail
from reviews.models import Award, AwardStatus, FundingNotice, NoticeStatus
from reviews.services.notices import notice_numbers_assign, notices_batch_start, notices_requeue_stale
from tests.factories import FundingCallFactory
from tests.integration.conftest import Worker, launch_worker
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_staff

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

TIMEOUT = 240.0


def a_call_with_final_awards(count: int) -> FundingCall:
    call = FundingCallFactory(budget_sc=Decimal("100000000"), budget_cq=Decimal("100000000"))
    fields = ("health", "eco", "ai", "agri")
    for index in range(count):
        make_award(
            call, field=fields[index % 4], score=Decimal(90 - index), status=AwardStatus.FINAL, quota=count
        )
    return call


def job_over(job_id: int) -> bool:
    return Job.objects.filter(pk=job_id, status__in=[JobStatus.DONE, JobStatus.FAILED]).exists()


def files_under(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in (root / "notices").rglob("*") if p.is_file())


def assert_every_notice_exactly_once(call: FundingCall, media_root: Path, job_id: int) -> None:
    awards = list(Award.objects.filter(call=call, status=AwardStatus.FINAL))
    notices = list(FundingNotice.objects.filter(award__call=call))
    assert sorted(n.award_id for n in notices) == sorted(a.pk for a in awards), "one notice per award"
    assert {(n.version, n.current, n.status) for n in notices} == {(1, True, NoticeStatus.DONE)}
    assert files_under(media_root) == sorted(n.file.name for n in notices), "one file per notice"
    for notice in notices:
        with default_storage.open(notice.file.name, "rb") as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == notice.sha256
        assert AuditEvent.objects.filter(action="notice.render", object_id=str(notice.pk)).count() == 1
        assert OutgoingEmail.objects.filter(reference=f"notice:{notice.pk}").count() == 1
    serials = sorted(a.notice_serial for a in Award.objects.filter(call=call))
    assert serials == list(range(1, len(awards) + 1))
    job = Job.objects.get(pk=job_id)
    assert (job.status, job.done, job.total, job.failed) == (JobStatus.DONE, len(awards), len(awards), 0)


# --- A broker and workers of the test's own -----------------------------------------------------


@contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """The test process's Celery publishes to ``url`` inside the block. Kombu keeps its pools
    in a registry per broker address: they are all reset on the way in and out, so that no
    closed pool (nor one of the throwaway broker) is handed out afterwards."""
    from kombu import pools

    from portal.celery import app

    def reset_pools() -> None:
        pools.reset()
        app._pool = None
        app.amqp._producer_pool = None

    before = app.conf.broker_url
    reset_pools()
    app.conf.broker_url = url
    try:
        yield
    finally:
        reset_pools()
        app.conf.broker_url = before


def start_worker(base: Worker, broker_url: str, workdir: Path, label: str) -> Worker:
    """A worker process like the session's (same database and media folder) on another broker."""
    log_path = workdir / f"worker-{label}.log"
    name = f"notices-{label}-{uuid.uuid4().hex[:6]}@%h"
    env = {**base.env, "REDIS_URL": broker_url}
    worker = launch_worker(env=env, log_path=log_path, name=name, media_root=base.media_root)
    worker.wait_for_log(" ready.", timeout=60)
    return worker


def stop_worker(worker: Worker) -> None:
    if worker.process.poll() is None:
        os.killpg(worker.process.pid, signal.SIGKILL)
        worker.process.wait(timeout=10)


# --- The tests ----------------------------------------------------------------------------------


def test_a_batch_of_ten_is_built_by_the_worker_every_notice_exactly_once(worker: Worker) -> None:
    call = a_call_with_final_awards(10)
    staff = make_staff("SC")

    job = notices_batch_start(call=call, by=staff)

    assert job.status == JobStatus.QUEUED  # the worker builds them, not this process
    worker.wait_for(lambda: job_over(job.pk), "the notice batch", TIMEOUT)
    assert_every_notice_exactly_once(call, worker.media_root, job.pk)
    assert AuditEvent.objects.filter(action="notices.batch_start", actor=staff).count() == 1
    worker.wait_for(
        lambda: OutgoingEmail.objects.filter(kind="funding_notice", status="sent").count() == 10,
        "the ten emails sent",
        TIMEOUT,
    )


def test_a_worker_killed_in_the_middle_of_a_batch_leaves_every_notice_built_once(
    worker: Worker, throwaway_redis: Redis, tmp_path: Path
) -> None:
    call = a_call_with_final_awards(10)
    first = start_worker(worker, throwaway_redis.url, tmp_path, "first")
    second = None
    try:
        with publishing_to(throwaway_redis.url):
            job = notices_batch_start(call=call, by=make_staff("CQ"))

            def some_built() -> bool:
                return FundingNotice.objects.filter(award__call=call, status=NoticeStatus.DONE).count() >= 2

            first.wait_for(some_built, "the first notices", TIMEOUT)
            os.killpg(first.process.pid, signal.SIGKILL)  # the worker and its child, mid-batch
            first.process.wait(timeout=10)
            built = FundingNotice.objects.filter(award__call=call, status=NoticeStatus.DONE).count()
            assert built < 10, "the batch ended before the kill: nothing was tested"

            second = start_worker(worker, throwaway_redis.url, tmp_path, "second")

            # Beat sends the sweep every minute; here every second, treating work that made no
            # progress for 3 s as lost.
            def all_built() -> bool:
                notices_requeue_stale(older_than=timedelta(seconds=3))
                return job_over(job.pk)

            second.wait_for(all_built, "the batch after the restart", TIMEOUT)
        assert_every_notice_exactly_once(call, worker.media_root, job.pk)
        attempts = sorted(FundingNotice.objects.filter(award__call=call).values_list("attempts", flat=True))
        assert attempts[-1] <= 2, attempts  # at most the killed render was tried twice
    finally:
        stop_worker(first)
        if second is not None:
            stop_worker(second)


def test_with_redis_down_a_batch_is_queued_and_built_once_redis_is_back(
    worker: Worker, throwaway_redis: Redis, tmp_path: Path, client, api_client
) -> None:
    call = a_call_with_final_awards(3)
    staff = make_staff("SC")
    client.force_login(staff)
    api_client.force_authenticate(staff)
    url = reverse("reviews:notices", args=[call.pk])
    helper = None
    try:
        with publishing_to(throwaway_redis.url):
            throwaway_redis.stop()

            response = client.post(url, {"action": "start"}, HTTP_ACCEPT_LANGUAGE="en")
            assert response.status_code == 302 and response["Location"] == url
            page = client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
            assert "The notices are queued" in page and "queued: waiting for a worker" in page
            api = api_client.post(f"/api/v1/calls/{call.pk}/notices/", format="json")
            assert api.status_code == 202 and api.json()["status"] == "queued"

            job = Job.objects.get(kind="notices.batch")
            assert job.status == JobStatus.QUEUED and job.total == 3
            assert api.json()["job"] == job.pk  # the second request reused the waiting batch
            assert not FundingNotice.objects.exists()

            throwaway_redis.start()
            helper = start_worker(worker, throwaway_redis.url, tmp_path, "after-outage")
            # The beat's stale-job sweep (every minute; its 2-minute age shortened here).
            assert jobs_requeue_stale(older_than=timedelta(0)) == 1
            helper.wait_for(lambda: job_over(job.pk), "the batch once Redis is back", TIMEOUT)
        assert_every_notice_exactly_once(call, worker.media_root, job.pk)
    finally:
        if helper is not None:
            stop_worker(helper)


def test_two_threads_numbering_at_once_give_no_duplicate_and_no_gap() -> None:
    call = a_call_with_final_awards(12)
    barrier = threading.Barrier(2)
    results: list[list[int]] = []
    errors: list[BaseException] = []

    def number() -> None:
        try:
            barrier.wait(timeout=10)
            results.append([a.notice_serial for a in notice_numbers_assign(call=call)])
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=number) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert not errors, errors
    assert sorted(serial for batch in results for serial in batch) == list(range(1, 13))
    serials = sorted(Award.objects.filter(call=call).values_list("notice_serial", flat=True))
    assert serials == list(range(1, 13))
    assert AuditEvent.objects.filter(action="award.notice_number").count() == 12
