"""The expert's workspace: my assignments (grouped by call), one assignment — the declaration
first, then the application read-only with its PDF and the score sheet — and, for review
staff, reopening a submitted review.

An assignment is fetched through ``assignment_get_for_user``: one that is not the expert's
own is a 404, for staff too (staff read reviews on the panel page). Every write is one call of
``reviews.services.reviewing``; its refusals come back as messages or as errors on the form
fields they name, with the values as typed, never as an error page.
"""

import logging
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.accounts.roles import Role
from reviews.forms import SUBMIT, ConflictForm, DeclarationForm, ReopenForm, ReviewForm
from reviews.models import Assignment, AssignmentStatus, ReviewStatus
from reviews.permissions import can_manage_review
from reviews.selectors import workspace as selectors
from reviews.services import reviewing as service
from reviews.services.reviewing import DECLARATION_CODE, REVIEWABLE, ReviewError, ReviewInvalid

logger = logging.getLogger(__name__)

STATE_LABELS = {
    selectors.AWAITING_DECLARATION: gettext_lazy("Awaiting your declaration"),
    selectors.TO_SCORE: gettext_lazy("To score"),
    selectors.DRAFT: gettext_lazy("Draft saved"),
    selectors.SUBMITTED: gettext_lazy("Submitted"),
    selectors.DECLINED: gettext_lazy("Declined (conflict of interest)"),
}

BADGES = {
    selectors.AWAITING_DECLARATION: "badge--draft",
    selectors.TO_SCORE: "badge--open",
    selectors.DRAFT: "badge--draft",
    selectors.SUBMITTED: "badge--review",
    selectors.DECLINED: "badge--late",
}


def _to_detail(assignment: Assignment, anchor: str = "") -> HttpResponse:
    return redirect(reverse("reviews:assignment_detail", args=[assignment.pk]) + anchor)


# --- My assignments ----------------------------------------------------------------------------


@require_GET
@login_required
def my_assignments(request: HttpRequest) -> HttpResponse:
    """The expert's assignments grouped by call, each with where it stands and the deadline."""
    if request.user.role != Role.REVIEWER:
        raise PermissionDenied(_("Only experts of the pool have applications to review."))
    rows = list(selectors.assignments_of_expert(request.user))
    for assignment in rows:
        assignment.state = selectors.workspace_state(assignment)
        assignment.state_label = STATE_LABELS[assignment.state]
        assignment.badge = BADGES[assignment.state]
    groups = [
        {"call": call_rows[0].application.call, "assignments": call_rows}
        for call_rows in (list(g) for _call, g in groupby(rows, key=lambda a: a.application.call_id))
    ]
    open_count = sum(
        1 for a in rows if a.state in (selectors.AWAITING_DECLARATION, selectors.TO_SCORE, selectors.DRAFT)
    )
    return render(
        request,
        "reviews/workspace_list.html",
        {"groups": groups, "open_count": open_count, "total": len(rows)},
    )


# --- One assignment ---------------------------------------------------------------------------


def detail_context(
    request: HttpRequest,
    assignment: Assignment,
    *,
    declaration_form: DeclarationForm | None = None,
    conflict_form: ConflictForm | None = None,
    review_form: ReviewForm | None = None,
) -> dict[str, Any]:
    application = assignment.application
    state = selectors.workspace_state(assignment)
    context: dict[str, Any] = {
        "assignment": assignment,
        "application": application,
        "call": application.call,
        "state": state,
        "state_label": STATE_LABELS[state],
        "badge": BADGES[state],
        "reviewable": application.status in REVIEWABLE,
    }
    if state == selectors.AWAITING_DECLARATION:
        # Only what is needed to judge a conflict of interest: the title, the task, the units.
        context |= {
            "partner_names": selectors.partner_names(application),
            "declaration_form": declaration_form or DeclarationForm(),
            "conflict_form": conflict_form or ConflictForm(),
            "conflict_open": conflict_form is not None,
            "declaration_code": DECLARATION_CODE,
        }
        return context
    if state == selectors.DECLINED:
        return context

    from applications.printing import print_context

    document = selectors.document_for_reading(application)
    criteria = selectors.criteria_of(application.call_id)
    review = selectors.review_with_scores(assignment)
    points = selectors.points_of(review)
    comments = selectors.comments_of(review)
    total = None
    if review is not None and review.status == ReviewStatus.SUBMITTED:
        total = review.total
    elif points:
        total = service.total_of(points, criteria)
    if review_form is None and state != selectors.SUBMITTED:
        review_form = ReviewForm(initial=ReviewForm.initial_of(review, points, comments), criteria=criteria)
    context |= {
        "document": print_context(document, None, application.version),
        "criteria": criteria,
        "review": review,
        "sheet": [
            {"criterion": c, "points": points.get(c.code), "comment": comments.get(c.code, "")}
            for c in criteria
        ],
        "total": total,
        "scored": len(points),
        "form": review_form,
    }
    return context


def render_detail(
    request: HttpRequest, assignment: Assignment, *, status: int = 200, **forms: Any
) -> HttpResponse:
    return render(
        request, "reviews/workspace_detail.html", detail_context(request, assignment, **forms), status=status
    )


@require_GET
@login_required
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    return render_detail(request, assignment)


@require_POST
@login_required
def assignment_declare(request: HttpRequest, pk: int) -> HttpResponse:
    """The declaration: ``choice=no_conflict`` with the box ticked, or ``choice=conflict`` with
    a reason."""
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    conflict = request.POST.get("choice") == "conflict"
    form: DeclarationForm | ConflictForm = (
        ConflictForm(request.POST) if conflict else DeclarationForm(request.POST)
    )
    key = "conflict_form" if conflict else "declaration_form"
    if not form.is_valid():
        return render_detail(request, assignment, status=400, **{key: form})
    try:
        service.assignment_declare(
            assignment=assignment,
            by=request.user,
            no_conflict=not conflict,
            conflict_reason=form.cleaned_data.get("reason", ""),
        )
    except ReviewError as error:
        if error.field == "conflict_reason" and conflict:
            form.add_error("reason", error.message)
            return render_detail(request, assignment, status=400, **{key: form})
        messages.error(request, error.message)
        return _to_detail(assignment)
    if conflict:
        messages.success(
            request,
            _("Your conflict of interest has been recorded; bureau staff will assign another expert."),
        )
        return redirect(reverse("reviews:my_assignments"))
    messages.success(request, _("Thank you. The application is open for your review."))
    return _to_detail(assignment)


@require_POST
@login_required
def assignment_review(request: HttpRequest, pk: int) -> HttpResponse:
    """Save the score sheet as a draft, or submit it (``action=submit``)."""
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    criteria = selectors.criteria_of(assignment.application.call_id)
    form = ReviewForm(request.POST, criteria=criteria)
    submit = request.POST.get("action") == SUBMIT
    if not form.is_valid():
        return render_detail(request, assignment, status=400, review_form=form)
    data = form.service_input()
    try:
        review = service.review_save(
            assignment=assignment,
            by=request.user,
            points=data["points"],
            comments=data["comments"],
            comment=data["comment"],
            recommendation=data["recommendation"],
            submit=submit,
            version=data["version"],
        )
    except ReviewInvalid as invalid:
        form.add_service_errors(invalid.errors)
        return render_detail(request, assignment, status=400, review_form=form)
    except ReviewError as error:
        if error.code == "stale":
            # The values as typed stay on the page; the expert reloads to see the other save.
            form.add_error(None, error.message)
            return render_detail(request, assignment, status=409, review_form=form)
        messages.error(request, error.message)
        return _to_detail(assignment)
    if submit:
        messages.success(
            request,
            _("Your review has been submitted (weighted total %(total)s). Thank you.")
            % {"total": review.total},
        )
    else:
        messages.success(request, _("Your draft has been saved. You can change it until you submit it."))
    return _to_detail(assignment, "#review")


@require_GET
@login_required
def assignment_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The official print of the application (after the declaration only): the stored PDF, or
    the progress of its printing."""
    assignment = selectors.assignment_get_for_user(user=request.user, pk=pk)
    if assignment.status != AssignmentStatus.DECLARED:
        messages.error(request, _("Make your declaration first; the application opens after it."))
        return _to_detail(assignment)
    # Imported here: printing pulls in the PDF machinery, which the other pages do not need.
    from applications import printing

    application = assignment.application
    printout, job = printing.application_print_get_or_request(application=application, by=request.user)
    if printout is not None:
        try:
            pdf = printout.file.open("rb")
        except OSError as error:
            logger.error("print of application %s missing from storage: %s", application.pk, error)
            raise Http404(_("The printed application is missing; please try again in a minute.")) from error
        return FileResponse(
            pdf, content_type="application/pdf", filename=f"application-{application.reference}.pdf"
        )
    return render(
        request,
        "reviews/workspace_print.html",
        {
            "assignment": assignment,
            "application": application,
            "job": job,
            # The job is the expert's own (the print reuses only the requester's job).
            "job_visible": job.created_by_id == request.user.pk,
            "print_url": reverse("reviews:assignment_pdf", args=[assignment.pk]),
        },
    )


# --- Staff: reopening a submitted review ------------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def review_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """A confirmation page with the reason (GET), then the reopening (POST); review staff only
    (anyone else gets a 404, as for an assignment they cannot see)."""
    if not can_manage_review(request.user)[0]:
        raise Http404(_("There is no assignment with this id."))
    assignment = selectors.assignment_for_staff(pk)
    review = selectors.review_of(assignment)
    form = ReopenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if review is None or review.status != ReviewStatus.SUBMITTED:
            messages.error(request, _("This review is not submitted: there is nothing to reopen."))
            return redirect(reverse("reviews:review_reopen", args=[assignment.pk]))
        if form.is_valid():
            try:
                service.review_reopen(review=review, by=request.user, reason=form.cleaned_data["reason"])
            except ReviewError as error:
                if error.field == "reason":
                    form.add_error("reason", error.message)
                else:
                    messages.error(request, error.message)
                    return redirect(reverse("reviews:review_reopen", args=[assignment.pk]))
            else:
                messages.success(
                    request,
                    _("The review of %(expert)s has been reopened; the expert has been told by email.")
                    % {"expert": assignment.reviewer.user.full_name},
                )
                return redirect(reverse("reviews:panel_detail", args=[assignment.application_id]))
        status = 400
    return render(
        request,
        "reviews/workspace_reopen.html",
        {"assignment": assignment, "application": assignment.application, "review": review, "form": form},
        status=status,
    )
