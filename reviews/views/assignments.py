"""Staff pages of the assignment: the review's home (the calls with their links), the
assignment of a call (settings, a run, the latest runs), one run with its progress and
result, the panel of one application (remove, add by hand, conflicts) and the progress of
the review per application and per expert.

Review staff only (bureau staff of either province and administrators; the review is
joint): anyone else is refused with the reason on call pages, and gets a 404 for an
application's panel. Reads go through ``reviews.selectors.assignments``, writes through
``reviews.services.assignments`` (and the conflicts service for a staff conflict).
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from applications.models import Application, ApplicationStatus, FundingCall
from portal.choices import JOINT_PROVINCES
from reviews.models import LIVE_STATUSES, Assignment, ReviewerProfile
from reviews.permissions import is_review_staff, require_review_staff
from reviews.selectors import assignments as selectors
from reviews.services.assignments import (
    IN_REVIEW,
    MAX_REASON,
    MAX_SEED,
    AssignmentError,
    assignment_add,
    assignment_remove,
    assignment_run_start,
    check_settings,
)


def _call(request: HttpRequest, call_pk: int) -> FundingCall:
    require_review_staff(request.user)
    return get_object_or_404(FundingCall, pk=call_pk)


# --- Forms ----------------------------------------------------------------------------------


class RunForm(forms.Form):
    seed = forms.IntegerField(
        label=gettext_lazy("Seed"),
        required=False,
        min_value=0,
        max_value=MAX_SEED,
        help_text=gettext_lazy(
            "Leave empty for a new random draw; give the seed of an earlier run to replay it."
        ),
    )
    dry_run = forms.BooleanField(
        label=gettext_lazy("Dry run: compute and report, save no assignment"), required=False
    )


class RemoveForm(forms.Form):
    assignment = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=MAX_REASON)


class AddForm(forms.Form):
    reviewer = forms.ModelChoiceField(
        label=gettext_lazy("Expert"),
        queryset=ReviewerProfile.objects.filter(active=True),
        error_messages={"invalid_choice": gettext_lazy("Choose an active expert of the pool.")},
    )
    reason = forms.CharField(label=gettext_lazy("Reason (optional)"), max_length=MAX_REASON, required=False)


class FilterForm(forms.Form):
    """The filter of the candidates (and of the progress page): field of expertise, province."""

    field = forms.ChoiceField(label=gettext_lazy("Field of expertise"), required=False)
    province = forms.ChoiceField(
        label=gettext_lazy("Province"),
        required=False,
        choices=[("", gettext_lazy("Both provinces")), *[(p.value, p.label) for p in JOINT_PROVINCES]],
    )

    def __init__(self, *args: Any, fields: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("All fields")), *[(f.code, f.name) for f in fields]]


# --- Pages ----------------------------------------------------------------------------------


@require_GET
@login_required
def review_home(request: HttpRequest) -> HttpResponse:
    require_review_staff(request.user)
    return render(request, "reviews/home.html", {"calls": list(selectors.calls_in_review())})


@require_http_methods(["GET", "POST"])
@login_required
def assignment_overview(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    form = RunForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            run = assignment_run_start(
                call=call,
                by=request.user,
                seed=form.cleaned_data["seed"],
                dry_run=form.cleaned_data["dry_run"],
            )
        except AssignmentError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            return redirect(reverse("reviews:assignment_run_detail", args=[call.pk, run.pk]))
    settings_error = ""
    try:
        check_settings(call)
    except AssignmentError as error:
        settings_error = error.message
    counts = dict(
        Application.objects.filter(call=call, status__in=selectors.FOLLOWED)
        .values_list("status")
        .annotate(n=Count("pk"))
    )
    return render(
        request,
        "reviews/assignment_overview.html",
        {
            "call": call,
            "form": form,
            "settings_error": settings_error,
            "runs": selectors.runs_of_call(call=call),
            "accepted": counts.get(ApplicationStatus.ACCEPTED, 0),
            "under_review": counts.get(ApplicationStatus.UNDER_REVIEW, 0),
            "reviewed": counts.get(ApplicationStatus.REVIEWED, 0),
        },
        status=400 if form.errors else 200,
    )


@require_GET
@login_required
def assignment_run_detail(request: HttpRequest, call_pk: int, pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    run = selectors.run_get(call=call, pk=pk)
    return render(
        request,
        "reviews/assignment_run_detail.html",
        {
            "call": call,
            "run": run,
            "under_way": run.status in ("queued", "running"),
            "replay": RunForm(initial={"seed": run.seed, "dry_run": run.dry_run}),
            "page_url": request.path,
            "summary": selectors.shortfall_summary(run.shortfalls),
        },
    )


def _panel_context(request: HttpRequest, application: Application, **extra: Any) -> dict[str, Any]:
    from reviews.conflict_forms import ConflictRemoveForm, StaffConflictForm
    from reviews.services.conflicts import conflicts_of_application

    call = application.call
    fields = selectors.fields_of_call(call)
    filters = FilterForm(request.GET or None, fields=fields)
    field_code = province = ""
    if filters.is_valid():
        field_code, province = filters.cleaned_data["field"], filters.cleaned_data["province"]
    conflicts = conflicts_of_application(application=application)
    reasons: dict[int, list[str]] = {}
    for entry in conflicts:
        reasons.setdefault(entry.reviewer.pk, []).append(entry.reason or entry.source_label)
    candidates = selectors.panel_candidates(
        application=application, field_code=field_code, province=province, conflicts=reasons
    )
    panel = selectors.panel_of_application(application=application)
    for assignment in panel:
        # An expert found in conflict after being assigned: staff should take them off.
        assignment.conflict_reasons = reasons.get(assignment.reviewer_id, [])
    live = [a for a in panel if a.status in LIVE_STATUSES]
    context = {
        "application": application,
        "call": call,
        "panel": panel,
        "live": len(live),
        "per_province": [
            (p.label, sum(1 for a in live if a.reviewer.province == p.value)) for p in JOINT_PROVINCES
        ],
        "candidates": candidates,
        "addable": sum(1 for c in candidates if not c.refusal),
        "filters": filters,
        "may_add": application.status in (*IN_REVIEW, ApplicationStatus.REVIEWED),
        "add_form": AddForm(),
        "conflicts": conflicts,
        "conflict_form": StaffConflictForm(exclude=conflicts.reviewer_ids),
        "conflict_remove_form": ConflictRemoveForm(),
    }
    context.update(extra)
    return context


def _render_panel(
    request: HttpRequest, application: Application, status: int = 200, **extra: Any
) -> HttpResponse:
    if request.method == "POST":
        # A refused change shows the application as it is now.
        application.refresh_from_db(fields=["status", "version"])
    return render(
        request, "reviews/panel_detail.html", _panel_context(request, application, **extra), status=status
    )


@require_http_methods(["GET", "POST"])
@login_required
def panel_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if not is_review_staff(request.user):
        raise Http404(_("There is no such application."))
    application = get_object_or_404(
        Application.objects.select_related("call", "guide_task__field", "lead_unit", "pi").exclude(
            status__in=[ApplicationStatus.DRAFT, ApplicationStatus.WITHDRAWN]
        ),
        pk=pk,
    )
    if request.method == "GET":
        return _render_panel(request, application)
    handler = PANEL_ACTIONS.get(request.POST.get("action", ""))
    if handler is None:
        messages.error(request, _("Unknown action."))
        return redirect(request.get_full_path())
    return handler(request, application)


def _remove(request: HttpRequest, application: Application) -> HttpResponse:
    form = RemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please give a reason for removing the expert."))
        return redirect(request.get_full_path())
    assignment = (
        Assignment.objects.select_related("application__call")
        .filter(pk=form.cleaned_data["assignment"], application=application)
        .first()
    )
    if assignment is None:
        messages.error(request, _("This expert is not on the panel any more."))
        return redirect(request.get_full_path())
    try:
        assignment_remove(assignment=assignment, by=request.user, reason=form.cleaned_data["reason"])
    except AssignmentError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The expert was removed from the panel."))
    return redirect(request.get_full_path())


def _add(request: HttpRequest, application: Application) -> HttpResponse:
    form = AddForm(request.POST)
    if form.is_valid():
        try:
            assignment = assignment_add(
                application=application,
                reviewer=form.cleaned_data["reviewer"],
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
        except AssignmentError as error:
            form.add_error("reviewer" if error.field in ("reviewer", "") else None, error.message)
        else:
            messages.success(
                request, _("%(name)s was added to the panel.") % {"name": assignment.reviewer.user.full_name}
            )
            return redirect(request.get_full_path())
    return _render_panel(request, application, status=400, add_form=form)


def _conflict_add(request: HttpRequest, application: Application) -> HttpResponse:
    from reviews.conflict_forms import StaffConflictForm
    from reviews.services.conflicts import ConflictError, conflict_record

    form = StaffConflictForm(request.POST)
    if form.is_valid():
        try:
            conflict_record(
                application=application,
                reviewer=form.cleaned_data["reviewer"],
                source="staff",
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ConflictError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, _("The conflict of interest was recorded."))
            return redirect(request.get_full_path())
    return _render_panel(request, application, status=400, conflict_form=form)


def _posted_id(request: HttpRequest, name: str) -> int:
    """The id posted as ``name``; 0 (no row) for anything but a plain number of a row."""
    text = request.POST.get(name, "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 19 else 0


def _conflict_remove(request: HttpRequest, application: Application) -> HttpResponse:
    from reviews.conflict_forms import ConflictRemoveForm
    from reviews.models import Conflict
    from reviews.services.conflicts import ConflictError, conflict_remove

    form = ConflictRemoveForm(request.POST)
    conflict = Conflict.objects.filter(pk=_posted_id(request, "conflict"), application=application).first()
    if conflict is None:
        messages.error(request, _("This conflict of interest was already removed."))
    elif not form.is_valid():
        messages.error(request, _("Please give a reason for removing the conflict of interest."))
    else:
        try:
            conflict_remove(conflict=conflict, by=request.user, reason=form.cleaned_data["reason"])
        except ConflictError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The conflict of interest was removed."))
    return redirect(request.get_full_path())


def _avoid_confirm(request: HttpRequest, application: Application) -> HttpResponse:
    """Staff confirm that a near match of the applicant's avoid list is the person meant."""
    from reviews.services.conflicts import ConflictError, conflict_record

    reviewer = ReviewerProfile.objects.filter(pk=_posted_id(request, "reviewer"), active=True).first()
    if reviewer is None:
        messages.error(request, _("Choose an active expert of the pool."))
        return redirect(request.get_full_path())
    try:
        conflict_record(
            application=application,
            reviewer=reviewer,
            source="applicant",
            reason=_("Confirmed by staff from the applicant's list of experts to avoid."),
            by=request.user,
        )
    except ConflictError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The expert will not review this application."))
    return redirect(request.get_full_path())


PANEL_ACTIONS = {
    "remove": _remove,
    "add": _add,
    "conflict": _conflict_add,
    "conflict_remove": _conflict_remove,
    "avoid_confirm": _avoid_confirm,
}


@require_GET
@login_required
def review_progress(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = _call(request, call_pk)
    fields = selectors.fields_of_call(call)
    filters = FilterForm(request.GET or None, fields=fields)
    field_code = ""
    if filters.is_valid():
        field_code = filters.cleaned_data["field"]
    progress = selectors.review_progress(call=call, field_code=field_code)
    return render(
        request,
        "reviews/progress.html",
        {
            "call": call,
            "progress": progress,
            "filters": filters,
            "field_code": field_code,
            "provinces": [p.label for p in JOINT_PROVINCES],
        },
    )
