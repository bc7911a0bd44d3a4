"""The progress of a background job, as an htmx partial that polls itself until the job ends."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from portal.jobs.selectors import job_get_for_user


@require_GET
@login_required
def job_status(request: HttpRequest, pk: int) -> HttpResponse:
    job = job_get_for_user(user=request.user, pk=pk)
    response = render(request, "jobs/_status.html", {"job": job, "next": request.GET.get("next", "")})
    if job.status in ("done", "failed") and request.GET.get("next") and getattr(request, "htmx", None):
        # The work is over: reload the page that started it, which now shows the result.
        response["HX-Refresh"] = "true"
    return response
