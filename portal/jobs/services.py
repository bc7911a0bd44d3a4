"""Creating jobs and moving them along; tasks call these, never ``save()`` on a job."""

from django.db.models import Q
from django.utils import timezone

from portal.jobs.models import Job, JobStatus


def job_create(*, kind: str, obj=None, total: int = 1, by=None) -> Job:  # noqa: ANN001
    return Job.objects.create(
        kind=kind,
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
