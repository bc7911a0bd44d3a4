"""Pages of the formal check (形式审查): the bureau's queue of endorsed applications, and one
application's checklist with the decision form (accept, return for revision, ineligible).

Bureau staff decide the applications of their own province. Staff of the other province and
administrators read the checklist without the form, and are told why. For anyone else the
queue is refused (403, with the reason) and an application's checklist does not exist (404).
A decision is posted to the checklist page, made by ``formal_check_decide``, and followed by a
redirect with a message (post/redirect/get).
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from applications.models import Application, ApplicationStatus
from applications.workflow import STATES
from portal.accounts.roles import Role
from portal.fields import validate_no_control_characters
from reviews import eligibility
from reviews.models import FormalDecision
from reviews.permissions import can_formal_check, is_review_staff
from reviews.selectors.formal_check import (
    application_for_formal_check,
    formal_check_calls,
    formal_check_history,
    formal_check_queue,
    formal_checks_recent,
)
from reviews.services.formal_check import REASON_MAX_LENGTH, FormalCheckError, formal_check_decide

PAGE_SIZE = 50

DONE: dict[str, Promise] = {
    FormalDecision.ACCEPT: gettext_lazy("%(reference)s has been accepted for expert review."),
    FormalDecision.RETURN: gettext_lazy(
        "%(reference)s has been returned to the project leader for revision; the team has been told by email."
    ),
    FormalDecision.REJECT: gettext_lazy(
        "%(reference)s has been declared ineligible; the team has been told by email."
    ),
}


class FormalCheckForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (FormalDecision.ACCEPT, gettext_lazy("Accept for expert review")),
            (FormalDecision.RETURN, gettext_lazy("Return to the project leader for revision")),
            (FormalDecision.REJECT, gettext_lazy("Declare ineligible")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose a decision: accept, return or declare ineligible."),
            "invalid_choice": gettext_lazy("Choose accept, return or declare ineligible."),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (the project leader reads it)"),
        required=False,
        max_length=REASON_MAX_LENGTH,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy(
            "Required to return or to declare ineligible, and to accept when a rule of the checklist fails."
        ),
    )


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


@require_GET
@login_required
def formal_check_list(request: HttpRequest) -> HttpResponse:
    """The endorsed applications of the user's province waiting for the formal check, per call,
    and the decisions made recently."""
    user = request.user
    if not is_review_staff(user):
        raise PermissionDenied(_("The formal check is made by bureau staff."))
    calls = formal_check_calls(user=user)
    wanted = _int(request.GET.get("call"))
    call = next((c for c in calls if c.pk == wanted), None)
    call_id = call.pk if call else None
    page = Paginator(formal_check_queue(user=user, call_id=call_id), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    recent = formal_checks_recent(user=user, call_id=call_id)
    for check in recent:
        check.status_label = STATES[check.application.status].staff_label
    return render(
        request,
        "reviews/formal_check_list.html",
        {
            "calls": calls,
            "selected_call": call,
            "page": page,
            "waiting": page.object_list,
            "recent": recent,
            "read_only": user.role != Role.BUREAU_STAFF,
            "province": user.get_province_display() if user.province else "",
            "now": timezone.now(),
        },
    )


def _detail_context(
    request: HttpRequest, application: Application, form: FormalCheckForm | None = None
) -> dict[str, Any]:
    user = request.user
    allowed, why_not = can_formal_check(user, application)
    waiting = application.status == ApplicationStatus.ENDORSED
    submission = eligibility.latest_submission(application)
    items = eligibility.checklist(application, submission=submission)
    deadline = application.call.endorse_deadline
    history = formal_check_history(application)
    for check in history:
        check.failed_labels = [
            row.get("label", row.get("rule")) for row in check.checklist if not row.get("passed")
        ]
    return {
        "application": application,
        "status_label": STATES[application.status].staff_label,
        "items": items,
        "all_passed": eligibility.all_passed(items),
        "failed": len(eligibility.failed_codes(items)),
        "submission": submission,
        "can_decide": allowed and waiting,
        "allowed": allowed,
        "why_not": why_not,
        "waiting": waiting,
        "form": (form or FormalCheckForm()) if allowed and waiting else None,
        "return_deadline": deadline,
        "return_open": timezone.now() <= deadline,
        "history": history,
    }


@require_http_methods(["GET", "POST"])
@login_required
def formal_check_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One application's checklist, the decision form and the earlier decisions."""
    application = application_for_formal_check(user=request.user, pk=pk)
    if request.method == "GET":
        return render(request, "reviews/formal_check_detail.html", _detail_context(request, application))

    allowed, why_not = can_formal_check(request.user, application)
    if not allowed:
        raise PermissionDenied(why_not)
    here = reverse("reviews:formal_check_detail", args=[application.pk])
    form = FormalCheckForm(request.POST)
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            formal_check_decide(
                application=application,
                decision=decision,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except FormalCheckError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            elif error.code == "deadline":
                # The reason typed stays on the page; only the choice must change.
                form.add_error("decision", error.message)
            else:
                # Decided meanwhile (another tab or person) or no longer possible: reload.
                messages.error(request, error.message)
                return redirect(here)
        else:
            messages.success(request, DONE[decision] % {"reference": application.reference})
            return redirect(here)
    context = _detail_context(request, application, form)
    return render(request, "reviews/formal_check_detail.html", context, status=400)
