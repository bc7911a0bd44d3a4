"""Pages of applications: my applications, starting one, the overview of one application with
the moves of its workflow (submit, withdraw, endorse, return), and its printed PDF.

Editing the sections lives in ``applications.views.sections``; the unit administrator's list
in ``applications.views.unit``. Every application is fetched through
``selectors.application_get_for_user`` (404 for whoever may not read it); every write goes
through one service; a refused move comes back as a message, never as an error page.
"""

import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from applications import rules, selectors, services, workflow
from applications.models import Application, ApplicationStatus, GuideTask
from applications.permissions import can_apply, can_edit_application, is_team_member
from applications.problems import SECTION_LABELS, Problem, by_section, problems_of
from portal.accounts.roles import Role, has_manager_role
from portal.fields import validate_no_control_characters
from portal.shell.navigation import optional_url

logger = logging.getLogger(__name__)

S = ApplicationStatus
PAGE_SIZE = 25
# The moves these pages offer; the bureau's moves have pages of their own.
PAGE_MOVES = ("submit", "endorse", "return", "withdraw")

# What happens next, for the team, by status code.
NEXT_STEPS: dict[str, Promise] = {
    S.DRAFT: gettext_lazy(
        "Fill in every section. When nothing is missing any more, the project leader submits the "
        "application before the applicants' deadline; after that it can no longer be changed."
    ),
    S.SUBMITTED: gettext_lazy(
        "The administrator of your unit now checks the application and endorses it for the bureau, or "
        "returns it to you with a reason, before the units' endorsement deadline."
    ),
    S.RETURNED: gettext_lazy(
        "Your unit returned the application for revision (its reason is shown here and in the history "
        "below). Change what is asked and submit it again before the deadline below; your unit then "
        "checks it again."
    ),
    S.ENDORSED: gettext_lazy(
        "Your unit endorsed the application. The bureau now makes the formal check and accepts it for "
        "expert review."
    ),
    S.ACCEPTED: gettext_lazy(
        "The bureau accepted the application after its formal check; experts will review it."
    ),
    S.INELIGIBLE: gettext_lazy(
        "The bureau found the application ineligible in its formal check (the bureau's reason is shown "
        "here and in the history below). It takes no further part in the call."
    ),
    S.UNDER_REVIEW: gettext_lazy("Experts are reviewing the application."),
    S.REVIEWED: gettext_lazy("The expert review is finished; the two bureaus decide together."),
    S.SHORTLISTED: gettext_lazy(
        "The application is on the shortlist; the bureaus' decision and the public announcement follow."
    ),
    S.AWARDED: gettext_lazy("The project is funded; the funding notice follows."),
    S.NOT_FUNDED: gettext_lazy("The project was not funded in this call."),
    S.WITHDRAWN: gettext_lazy("The application was withdrawn; it takes no further part in the call."),
}

# What happens next after a particular move, where the status alone does not say it: a
# return by the bureau (formal check) reads differently from a return by the unit.
NEXT_STEPS_AFTER: dict[str, Promise] = {
    "bureau_return": gettext_lazy(
        "The bureau returned the application for revision after its formal check (the bureau's reason "
        "is shown here and in the history below). Change what is asked and submit it again before the "
        "deadline below; your unit must then endorse it again before the same deadline."
    ),
}
# The bureau's moves of the formal check: their reason is the bureau's, shown at the top.
BUREAU_MOVES = frozenset({"accept", "bureau_return", "reject"})

MOVE_LABELS: dict[str, Promise] = {
    "submit": gettext_lazy("Submit"),
    "endorse": gettext_lazy("Endorse"),
    "return": gettext_lazy("Return for revision"),
    "withdraw": gettext_lazy("Withdraw"),
}

MOVE_DONE: dict[str, Promise] = {
    "submit": gettext_lazy("The application has been submitted. Your unit has been told by email."),
    "endorse": gettext_lazy("The application has been endorsed; it goes to the bureau."),
    "return": gettext_lazy("The application has been returned to the project leader."),
    "withdraw": gettext_lazy("The application has been withdrawn."),
}


# --- Forms (small enough to live with their views) ------------------------------------------


class ReasonForm(forms.Form):
    """The reason of a move: required to return an application, optional to withdraw it."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        required=False,
        max_length=2000,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, action: str, **kwargs: Any) -> None:
        # One form per move on the page: the field keeps its name, its id names the move.
        super().__init__(*args, auto_id=f"{action}-%s", **kwargs)
        self.action = action
        move = workflow.TRANSITIONS_BY_ACTION[action]
        reason = self.fields["reason"]
        if move.reason_required:
            reason.required = True
            reason.label = gettext_lazy("Reason for returning (the project leader reads it)")
            reason.error_messages["required"] = gettext_lazy(
                "Please say why the application is returned: the project leader reads it."
            )
        else:
            reason.label = gettext_lazy("Reason (optional)")


class NewApplicationForm(forms.Form):
    guide_task = forms.ModelChoiceField(
        label=gettext_lazy("Guide task"),
        queryset=GuideTask.objects.none(),
        empty_label=gettext_lazy("Choose a guide task"),
        error_messages={
            "required": gettext_lazy("Choose the guide task you apply for."),
            "invalid_choice": gettext_lazy("Choose one of the guide tasks of this call."),
        },
    )
    title = forms.CharField(
        label=gettext_lazy("Project title (optional)"),
        required=False,
        max_length=200,
        validators=[validate_no_control_characters],
        help_text=gettext_lazy("You can change it later under “Basic data”."),
    )

    def __init__(self, *args: Any, call: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        task_field = self.fields["guide_task"]
        task_field.queryset = selectors.tasks_of_call(call)
        task_field.label_from_instance = lambda task: f"{task.code} {task.title}"


# --- What the pages show ----------------------------------------------------------------------


@dataclass
class SectionMark:
    code: str
    label: str
    problems: list[Problem]
    url: str | None

    @property
    def complete(self) -> bool:
        return not self.problems


@dataclass
class Move:
    action: str
    label: str
    url: str
    form: ReasonForm | None = None
    deadline: Any = None
    # Open the move's <details> when its form came back with an error.
    open: bool = False


@dataclass
class TimelineEntry:
    at: Any
    actor: str
    source: str
    target: str
    reason: str
    action: str


@dataclass
class SubmissionRow:
    number: int
    submitted_at: Any
    sha256: str
    verification_code: str
    verify_url: str | None


@dataclass
class BudgetSummary:
    sc_gov: Decimal = Decimal(0)
    cq_gov: Decimal = Decimal(0)
    self_raised: Decimal = Decimal(0)
    direct: Decimal = Decimal(0)
    indirect: Decimal = Decimal(0)
    government: Decimal = Decimal(0)
    total: Decimal = Decimal(0)
    lines: int = field(default=0)


def status_label_for(user: Any, code: str) -> str:
    """The team and the unit read the applicant's label; bureau staff and administrators theirs."""
    state = workflow.STATES.get(code)
    if state is None:
        return code
    return str(state.staff_label if has_manager_role(user) else state.applicant_label)


def timeline_of(application: Application) -> list[TimelineEntry]:
    return [
        TimelineEntry(
            at=event.created_at,
            actor=event.actor.full_name if event.actor_id else _("the portal"),
            source=workflow.applicant_label(event.from_state) if event.from_state else "",
            target=workflow.applicant_label(event.to_state),
            reason=event.reason,
            action=event.action,
        )
        for event in selectors.application_timeline(application)
    ]


def budget_summary(application: Application) -> BudgetSummary:
    lines = list(application.budget.all())
    totals = rules.budget_totals(
        tuple(rules.BudgetCell(b.unit_uscc, b.category, b.source, b.amount) for b in lines)
    )
    zero = Decimal(0)
    return BudgetSummary(
        sc_gov=totals.get("source:sc_gov", zero),
        cq_gov=totals.get("source:cq_gov", zero),
        self_raised=totals.get("source:self", zero),
        direct=totals.get("direct", zero),
        indirect=totals.get("category:indirect", zero),
        government=totals.get("government", zero),
        total=totals.get("total", zero),
        lines=len(lines),
    )


def moves_of(user: Any, application: Application, bound: dict[str, ReasonForm] | None = None) -> list[Move]:
    bound = bound or {}
    moves = []
    for move in workflow.moves_for(user, application):
        if move.action not in PAGE_MOVES:
            continue
        form = None
        if move.action in ("return", "withdraw"):
            form = bound.get(move.action) or ReasonForm(action=move.action)
        moves.append(
            Move(
                action=move.action,
                label=str(MOVE_LABELS[move.action]),
                url=reverse(f"applications:{move.action}", args=[application.pk]),
                form=form,
                deadline=workflow.deadline_of(move, application),
                open=move.action in bound,
            )
        )
    return moves


def detail_context(
    request: HttpRequest,
    application: Application,
    *,
    bound: dict[str, ReasonForm] | None = None,
    refused: list[Problem] | None = None,
) -> dict[str, Any]:
    user = request.user
    team = is_team_member(user, application)
    editable = can_edit_application(user, application)[0]
    problems: list[Problem] = []
    sections: list[SectionMark] = []
    if editable:
        problems = refused if refused is not None else problems_of(application)
        grouped = by_section(problems)
        sections = [
            SectionMark(
                code=code,
                label=str(SECTION_LABELS[code]),
                problems=grouped[code],
                url=reverse("applications:edit", args=[application.pk, code]),
            )
            for code in rules.SECTIONS
        ]
    is_unit_admin = (
        getattr(user, "role", None) == Role.UNIT_ADMIN and user.organization_id == application.lead_unit_id
    )
    timeline = timeline_of(application)
    # Why it came back (or what the bureau said): the reason of the move that put it in this
    # state, shown at the top. The move's code says who made it (unit or bureau).
    last = timeline[-1] if timeline else None
    last_move = last.action.removeprefix("application.") if last else ""
    by_bureau = last_move in BUREAU_MOVES
    latest_reason = (
        last
        if last and last.reason and (application.status in (S.RETURNED, S.INELIGIBLE) or by_bureau)
        else None
    )
    next_step = NEXT_STEPS_AFTER.get(last_move) or NEXT_STEPS.get(application.status, "")
    submissions = [
        SubmissionRow(
            s.number,
            s.submitted_at,
            s.sha256,
            s.verification_code,
            reverse("applications:verify", args=[s.verification_code]),
        )
        for s in application.submissions.all()
    ]
    return {
        "application": application,
        "status_label": status_label_for(user, application.status),
        "next_step": next_step if team else "",
        "decided_by_bureau": by_bureau,
        "returned_by": ("bureau" if by_bureau else "unit") if application.status == S.RETURNED else "",
        # A returned application may be submitted again until the units' deadline (the table's rule).
        "resubmit_deadline": (
            workflow.deadline_of(workflow.TRANSITIONS_BY_ACTION["submit"], application)
            if application.status == S.RETURNED
            else None
        ),
        "is_team": team,
        "is_unit_admin": is_unit_admin,
        "editable": editable,
        "sections": sections,
        "problems": problems,
        "problem_sections": [s for s in sections if s.problems],
        "refused": refused is not None,
        "moves": moves_of(user, application, bound),
        "submissions": submissions,
        "timeline": timeline,
        "latest_reason": latest_reason,
        "partners": list(application.partners.all()),
        "team_members": list(application.team.all()),
        "budget": budget_summary(application) if not editable else None,
    }


def render_detail(
    request: HttpRequest, application: Application, *, status: int = 200, **extra: Any
) -> HttpResponse:
    return render(
        request,
        "applications/application_detail.html",
        detail_context(request, application, **extra),
        status=status,
    )


def to_detail(application: Application) -> HttpResponse:
    return redirect(reverse("applications:detail", args=[application.pk]))


# --- Pages ------------------------------------------------------------------------------------


@require_GET
@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    """My applications: those I lead and those I am a teammate of."""
    if request.user.role == Role.UNIT_ADMIN:
        return redirect(reverse("applications:unit_list"))
    page = Paginator(selectors.applications_of_user(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for application in page:
        application.status_label = workflow.applicant_label(application.status)
    return render(
        request, "applications/application_list.html", {"page": page, "applications": page.object_list}
    )


@require_http_methods(["GET", "POST"])
@login_required
def application_new(request: HttpRequest) -> HttpResponse:
    """Start an application for a call (and a guide task); then on to its first section."""
    call_id = request.GET.get("call", "")
    if not call_id:
        messages.info(request, _("Choose the call you apply to, then “Apply” on its page."))
        return redirect(reverse("calls:list"))
    call = selectors.call_get_for_user(user=request.user, pk=call_id)
    allowed, reason = can_apply(request.user, call)
    context: dict[str, Any] = {
        "call": call,
        "allowed": allowed,
        "reason": reason,
        "unit_url": optional_url("accounts:unit") if request.user.organization_id is None else None,
        "existing": [],
    }
    if not allowed:
        return render(
            request,
            "applications/application_new.html",
            context,
            status=403 if request.method == "POST" else 200,
        )

    context["existing"] = list(selectors.applications_of_user(request.user).filter(call=call))
    for application in context["existing"]:
        application.status_label = workflow.applicant_label(application.status)
    if request.method == "POST":
        form = NewApplicationForm(request.POST, call=call)
        if form.is_valid():
            try:
                application = services.application_create(
                    call=call,
                    by=request.user,
                    guide_task=form.cleaned_data["guide_task"],
                    title=form.cleaned_data["title"],
                )
            except services.ApplicationError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                messages.success(
                    request,
                    _("Your application %(reference)s has been created. Fill in its sections in any order.")
                    % {"reference": application.reference},
                )
                return redirect(reverse("applications:edit", args=[application.pk, "basics"]))
        context["form"] = form
        return render(request, "applications/application_new.html", context, status=400)

    task_id = request.GET.get("task", "")
    initial = {}
    if task_id:
        task = next((t for t in selectors.tasks_of_call(call) if str(t.pk) == task_id), None)
        if task is None:
            messages.warning(
                request, _("The guide task of the link is not one of this call; choose one below.")
            )
        else:
            initial["guide_task"] = task.pk
    context["form"] = NewApplicationForm(initial=initial, call=call)
    return render(request, "applications/application_new.html", context)


@require_GET
@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    return render_detail(request, application)


@require_POST
@login_required
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    if not workflow.actor_may(workflow.PI, request.user, application):
        messages.error(request, _("Only the project leader can submit the application."))
        return to_detail(application)
    try:
        services.application_submit(application=application, by=request.user)
    except services.SubmissionRefused as refused:
        return render_detail(request, application, refused=refused.problems, status=400)
    except workflow.TransitionError as error:
        # Already submitted (a second click or tab), the deadline, or a conflict: say so.
        messages.error(request, error.message)
        return to_detail(application)
    messages.success(request, MOVE_DONE["submit"])
    return to_detail(application)


def _move(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    move = workflow.TRANSITIONS_BY_ACTION[action]
    if not workflow.actor_may(move.actor, request.user, application):
        messages.error(request, _("You may not do this on this application."))
        return to_detail(application)
    form = ReasonForm(request.POST, action=action)
    if not form.is_valid():
        return render_detail(request, application, bound={action: form}, status=400)
    try:
        services.application_move(
            application=application, action=action, by=request.user, reason=form.cleaned_data["reason"]
        )
    except workflow.TransitionError as error:
        if error.code == "reason":
            form.add_error("reason", error.message)
            return render_detail(request, application, bound={action: form}, status=400)
        messages.error(request, error.message)
    else:
        messages.success(request, MOVE_DONE[action])
    return to_detail(application)


@require_POST
@login_required
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, "withdraw")


@require_POST
@login_required
def endorse(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, "endorse")


@require_POST
@login_required
def return_(request: HttpRequest, pk: int) -> HttpResponse:
    return _move(request, pk, "return")


@require_GET
@login_required
def print_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The printed application: the stored PDF of this version, or the progress of its printing."""
    application = selectors.application_get_for_user(user=request.user, pk=pk)
    # Imported here: printing pulls in the PDF machinery, which the other pages do not need.
    from applications import printing

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
    # The job's progress URL answers its creator and managers; anyone else's page reloads itself.
    job_visible = has_manager_role(request.user) or job.created_by_id == request.user.pk
    return render(
        request,
        "applications/print_progress.html",
        {
            "application": application,
            "job": job,
            "job_visible": job_visible,
            "print_url": reverse("applications:print", args=[application.pk]),
        },
    )
