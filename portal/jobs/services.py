"""Creating jobs and moving them along; tasks call these, never ``save()`` on a job."""

from datetime import timedelta

from django.db.models import Q
from django.utils import timezone

from portal.jobs.models import Job, JobStatus


def job_create(*, kind: str, task: str = "", obj=None, total: int = 1, by=None) -> Job:  # noqa: ANN001
    return Job.objects.create(
        kind=kind,
        task=task,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        total=total,
        created_by=by if getattr(by, "is_authenticated", False) else None,
    )


def job_claim(*, job_id: int) -> Job | None:
    """Mark a job running; None when it is done already (a second run changes nothing).

    A job marked running is claimed again: a worker killed mid-job has its task delivered
    anew (acks_late), and the work of a job must therefore be safe to do twice.
    """
    claimed = Job.objects.filter(
        Q(status__in=[JobStatus.QUEUED, JobStatus.FAILED, JobStatus.RUNNING]), pk=job_id
    ).update(status=JobStatus.RUNNING, updated_at=timezone.now())
    return Job.objects.get(pk=job_id) if claimed else None


def job_done(*, job_id: int, done: int = 1) -> None:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.DONE, done=done, error="", updated_at=timezone.now()
    )


def job_fail(*, job_id: int, error: BaseException) -> None:
    Job.objects.filter(pk=job_id).update(
        status=JobStatus.FAILED, error=f"{type(error).__name__}: {error}"[:2000], updated_at=timezone.now()
    )


def jobs_requeue_stale(*, older_than: timedelta) -> int:
    """Send again the task of every job still queued after ``older_than``: its message was lost
    (the broker was down when the request committed). Tasks are idempotent, so a job whose
    message was only slow is not harmed."""
    from portal.celery import app

    stale = Job.objects.filter(status=JobStatus.QUEUED, updated_at__lt=timezone.now() - older_than).exclude(
        task=""
    )
    count = 0
    # The tasks modules, in a process that has not imported them yet (a shell, a test): the
    # worker imports them at start, anywhere else autodiscovery is lazy.
    app.loader.import_default_modules()
    for job in stale.only("pk", "task"):
        # Through the registered task (not send_task), so that without a broker it runs in-process.
        app.tasks[job.task].delay(job.pk)
        Job.objects.filter(pk=job.pk).update(updated_at=timezone.now())
        count += 1
    return count
