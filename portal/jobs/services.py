"""Creating jobs and moving their counters; tasks call these, never ``save()`` directly."""

from django.db.models import F
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


def job_start(*, job_id: int) -> None:
    Job.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, updated_at=timezone.now()
    )


def job_step(*, job_id: int, ok: bool, error: str = "") -> None:
    counter = "done" if ok else "failed"
    Job.objects.filter(pk=job_id).update(**{counter: F(counter) + 1}, updated_at=timezone.now())
    if error:
        Job.objects.filter(pk=job_id).update(error=error[:2000])


def job_finish(*, job_id: int) -> None:
    job = Job.objects.get(pk=job_id)
    status = JobStatus.FAILED if job.failed else JobStatus.DONE
    Job.objects.filter(pk=job_id).update(status=status, updated_at=timezone.now())
