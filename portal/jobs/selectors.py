"""Reading jobs: who may watch the progress of which job."""

from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _

from portal.accounts.roles import has_manager_role
from portal.jobs.models import Job


def job_get_for_user(*, user: Any, pk: int) -> Job:
    """A job its creator, bureau staff or an administrator may watch; 404 for anyone else."""
    job = Job.objects.filter(pk=pk).first()
    if job is not None and (has_manager_role(user) or job.created_by_id == getattr(user, "pk", None)):
        return job
    raise Http404(_("There is no such job."))
