"""Funding notices: the call's batch with its progress, each notice's versions, the PDF, the
public verification page.

- ``notices`` (review staff): start the batch (the page then shows its progress, polled with
  htmx, and says "queued" when no worker has taken it yet — the broker may be down), the
  call's final awards with their notice's status, failures with their error and a retry.
- ``notice_detail`` / ``notice_pdf`` (staff, the project leader, the lead unit's
  administrator; 404 for anyone else): the versions and their downloads; staff make a new
  version with a reason (``notice_regenerate``).
- ``my_notices``: the project leader's and the unit administrator's notices.
- ``notice_verify`` (public, no sign-in): what identifies a built notice version — number,
  project, lead unit, amounts, fingerprint, version, superseded or current. An unknown code
  is the site's 404 page and tells nothing else.

Writes go through ``reviews.services.notices``, reads through ``reviews.selectors.notices``.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications.selectors import call_get_for_user
from portal.jobs.models import JobStatus
from reviews.models import FundingNotice, NoticeStatus
from reviews.permissions import can_manage_notices, require_review_staff
from reviews.selectors import notices as selectors
from reviews.services import notices as service
from reviews.services.notices import MAX_REASON, NoticeError


class RegenerateForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for a new version"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "The new version keeps the number and gets a new verification code; the current one stays "
            "readable, marked as replaced. The project leader is emailed when it is ready."
        ),
    )


def pdf_filename(notice: FundingNotice) -> str:
    return f"notice-{notice.award.call.year}-{notice.award.notice_serial}-v{notice.version}.pdf"


# --- Staff: the call's notices ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def notices(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = call_get_for_user(user=request.user, pk=call_pk)
    require_review_staff(request.user, call)
    page_url = reverse("reviews:notices", args=[call.pk])
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start":
            _start(request, call)
        elif action == "retry":
            _retry(request, call)
        else:
            messages.error(request, _("Unknown action."))
        return redirect(page_url)
    awards = selectors.final_awards_with_notices(call)
    job = selectors.latest_batch_job(call)
    return render(
        request,
        "reviews/notices.html",
        {
            "call": call,
            "awards": awards,
            "counts": selectors.notice_counts(awards),
            "failed": [
                a for a in awards if a.current_notice and a.current_notice.status == NoticeStatus.FAILED
            ],
            "job": job,
            "job_under_way": job is not None and job.status in (JobStatus.QUEUED, JobStatus.RUNNING),
            "page_url": page_url,
        },
    )


def _start(request: HttpRequest, call) -> None:  # noqa: ANN001
    try:
        job = service.notices_batch_start(call=call, by=request.user)
    except NoticeError as error:
        messages.error(request, error.message)
        return
    if job.status == JobStatus.DONE:
        messages.success(request, _("Every notice of the call is built."))
    elif job.status == JobStatus.FAILED:
        messages.warning(request, job.error or _("Some notices could not be built."))
    else:
        messages.success(
            request,
            _(
                "The notices are queued: they are built in the background and this page shows their "
                "progress. If no worker is reachable now, they are sent again automatically."
            ),
        )


def _retry(request: HttpRequest, call) -> None:  # noqa: ANN001
    text = request.POST.get("notice", "")
    notice = None
    if text.isascii() and text.isdigit() and int(text) < 2**63:
        notice = FundingNotice.objects.filter(pk=int(text), award__call=call).first()
    if notice is None:
        raise Http404(_("There is no funding notice with this id."))
    try:
        notice = service.notice_retry(notice=notice, by=request.user)
    except NoticeError as error:
        messages.error(request, error.message)
        return
    messages.success(request, _("Notice %(number)s is being built again.") % {"number": notice.number})


# --- One notice ------------------------------------------------------------------------------


def _detail(
    request: HttpRequest, notice: FundingNotice, form: RegenerateForm, status: int = 200
) -> HttpResponse:
    staff = can_manage_notices(request.user)[0]
    versions = selectors.notice_versions(notice)
    current = next((v for v in versions if v.current), None)
    return render(
        request,
        "reviews/notice_detail.html",
        {
            "notice": notice,
            "award": notice.award,
            "application": notice.award.application,
            "call": notice.award.call,
            "versions": versions,
            "current": current,
            "staff": staff,
            "form": form,
            "under_way": current is not None and current.status == NoticeStatus.PENDING,
        },
        status=status,
    )


@require_GET
@login_required
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    return _detail(request, notice, RegenerateForm())


@require_GET
@login_required
def notice_pdf(request: HttpRequest, pk: int) -> FileResponse:
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    if notice.status != NoticeStatus.DONE or not notice.file:
        raise Http404(_("This notice has not been built yet."))
    try:
        handle = notice.file.open("rb")
    except OSError as error:
        raise Http404(_("The notice's file is missing; staff can make a new version.")) from error
    response = FileResponse(
        handle, as_attachment=True, filename=pdf_filename(notice), content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@login_required
def notice_regenerate(request: HttpRequest, pk: int) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=request.user, pk=pk)
    allowed, reason = can_manage_notices(request.user)
    if not allowed:
        raise PermissionDenied(reason)
    form = RegenerateForm(request.POST)
    if not form.is_valid():
        return _detail(request, notice, form, status=400)
    try:
        new = service.notice_regenerate(
            award=notice.award, by=request.user, reason=form.cleaned_data["reason"]
        )
    except NoticeError as error:
        form.add_error("reason" if error.field == "reason" else None, error.message)
        return _detail(request, notice, form, status=400 if error.code == "reason" else 409)
    messages.success(
        request,
        _("Version %(version)d of notice %(number)s is being built.")
        % {"version": new.version, "number": new.number},
    )
    return redirect(reverse("reviews:notice_detail", args=[new.pk]))


# --- The project leader's and the unit's notices -----------------------------------------------


@require_GET
@login_required
def my_notices(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reviews/notices_mine.html",
        {"notices": list(selectors.notices_for_user(request.user))},
    )


# --- Public verification -----------------------------------------------------------------------


@require_GET
def notice_verify(request: HttpRequest, code: str) -> HttpResponse:
    notice = selectors.notice_by_code(code)
    if notice is None:
        raise Http404(_("There is no funding notice with this verification code."))
    award = notice.award
    response = render(
        request,
        "reviews/notice_verify.html",
        {
            "notice": notice,
            "award": award,
            "application": award.application,
            "call": award.call,
            "superseded_by": selectors.current_version_of(notice),
        },
    )
    # The page names a project: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, max-age=0"
    return response
