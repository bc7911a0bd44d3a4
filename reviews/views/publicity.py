"""The public announcement as staff run it: start it, read and decide objections, close it.

Review staff of either bureau (and administrators). The call's page answers 403 with the
reason for other signed-in users; an objection (personal data of the objector) is a 404 for
them, as for an unknown id. Writes are posted to the page, made by
``reviews.services.publicity`` and followed by a redirect with a message (post/redirect/get);
bad input re-renders the form with the message.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from applications.models import FundingCall
from applications.selectors import call_get_for_user
from portal.fields import validate_no_control_characters
from reviews.models import AwardStatus, ObjectionStatus, Publicity, PublicityStatus
from reviews.permissions import can_resolve_objection, can_run_publicity
from reviews.selectors.publicity import (
    awards_for_publicity,
    objection_get_for_user,
    objections_of_publicity,
    publicity_of_call,
)
from reviews.services.publicity import (
    MAX_CONTACT,
    MAX_REASON,
    PublicityError,
    beijing_today,
    is_open,
    objection_resolve,
    publicity_close,
    publicity_end,
    publicity_start,
)


class PublicityStartForm(forms.Form):
    start_date = forms.DateField(
        label=gettext_lazy("First day of the announcement"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={
            "required": gettext_lazy("Give the first day of the announcement."),
            "invalid": gettext_lazy("Give the first day of the announcement as a date (YYYY-MM-DD)."),
        },
    )
    contact = forms.CharField(
        label=gettext_lazy("Contact for objections (shown publicly)"),
        required=False,
        max_length=MAX_CONTACT,
        validators=[validate_no_control_characters],
        help_text=gettext_lazy("For example the office and its phone number. Optional."),
    )


class ObjectionResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            (ObjectionStatus.DISMISSED, gettext_lazy("Dismiss: the award stands")),
            (ObjectionStatus.UPHELD, gettext_lazy("Uphold: withdraw the award, the project is not funded")),
        ],
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choose to uphold or to dismiss the objection."),
            "invalid_choice": gettext_lazy("Choose to uphold or to dismiss the objection."),
        },
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason (the person who objected receives it by email)"),
        max_length=MAX_REASON,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Give the reason of the decision.")},
    )


def _require(permission: tuple[bool, str]) -> None:
    allowed, reason = permission
    if not allowed:
        raise PermissionDenied(reason)


def _context(
    call: FundingCall, publicity: Publicity | None, form: PublicityStartForm | None
) -> dict[str, Any]:
    today = beijing_today()
    awards = list(awards_for_publicity(call))
    live = [a for a in awards if a.status != AwardStatus.WITHDRAWN]
    context: dict[str, Any] = {
        "call": call,
        "publicity": publicity,
        "awards": awards,
        "today": today,
        "waiting": [a for a in live if a.status != AwardStatus.APPROVED],
        "approved": sum(1 for a in live if a.status == AwardStatus.APPROVED),
    }
    if publicity is None:
        initial = call.publicity_starts if call.publicity_starts and call.publicity_starts >= today else today
        context["form"] = form or PublicityStartForm(initial={"start_date": initial})
        if call.publicity_working_days >= 1:
            # What the holiday calendar makes of the proposed day, before anyone submits.
            context["preview_end"] = publicity_end(
                start_date=initial, working_days=call.publicity_working_days
            )
        return context
    objections = list(objections_of_publicity(publicity))
    open_count = sum(1 for o in objections if o.status == ObjectionStatus.OPEN)
    context.update(
        objections=objections,
        open_objections=open_count,
        window_open=is_open(publicity, today),
        not_started=today < publicity.starts_on,
        closable=publicity.status == PublicityStatus.OPEN and today > publicity.ends_on and not open_count,
    )
    return context


@require_http_methods(["GET", "POST"])
@login_required
def publicity(request: HttpRequest, call_pk: int) -> HttpResponse:
    """The call's announcement: the start form before it, then the window, the announced
    awards and the objections; the close button after the last day."""
    call = call_get_for_user(user=request.user, pk=call_pk)
    _require(can_run_publicity(request.user, call))
    current = publicity_of_call(call)
    here = reverse("reviews:publicity", args=[call.pk])
    if request.method == "GET":
        return render(request, "reviews/publicity.html", _context(call, current, None))

    action = request.POST.get("action")
    if action == "close":
        if current is None:
            messages.error(request, _("The awards of this call have not been announced yet."))
            return redirect(here)
        try:
            publicity_close(publicity=current, by=request.user)
        except PublicityError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The announcement is closed: the announced awards are final, the projects funded.")
            )
        return redirect(here)
    if action != "start":
        messages.error(request, _("Unknown action."))
        return redirect(here)
    form = PublicityStartForm(request.POST)
    if form.is_valid():
        try:
            started = publicity_start(
                call=call,
                start_date=form.cleaned_data["start_date"],
                contact=form.cleaned_data["contact"],
                by=request.user,
            )
        except PublicityError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                messages.error(request, error.message)
                return redirect(here)
        else:
            messages.success(
                request,
                _("The awards are announced from %(start)s to %(end)s.")
                % {"start": started.starts_on.isoformat(), "end": started.ends_on.isoformat()},
            )
            return redirect(here)
    return render(request, "reviews/publicity.html", _context(call, current, form), status=400)


@require_http_methods(["GET", "POST"])
@login_required
def objection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One objection with the objector's details, the award it concerns and the decision form."""
    objection = objection_get_for_user(user=request.user, pk=pk)
    here = reverse("reviews:objection_detail", args=[objection.pk])
    form = ObjectionResolveForm() if objection.status == ObjectionStatus.OPEN else None
    status = 200
    if request.method == "POST":
        _require(can_resolve_objection(request.user, objection))
        form = ObjectionResolveForm(request.POST)
        if form.is_valid():
            try:
                objection_resolve(
                    objection=objection,
                    decision=form.cleaned_data["decision"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
            except PublicityError as error:
                if error.field in form.fields:
                    form.add_error(error.field, error.message)
                else:
                    messages.error(request, error.message)
                    return redirect(here)
            else:
                messages.success(
                    request, _("The decision is recorded; the person who objected is told by email.")
                )
                return redirect(here)
        status = 400
    context = {
        "objection": objection,
        "call": objection.publicity.call,
        "award": objection.award,
        "application": objection.award.application,
        "form": form,
    }
    return render(request, "reviews/publicity_objection.html", context, status=status)


@require_GET
@login_required
def objection_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """The objection's PDF, for staff who may read the objection; a 404 for anyone else."""
    objection = objection_get_for_user(user=request.user, pk=pk)
    if not objection.attachment:
        raise Http404(_("This objection has no attachment."))
    try:
        handle = objection.attachment.open("rb")
    except OSError as error:
        raise Http404(_("This objection has no attachment.")) from error
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"objection-{objection.token}.pdf",
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response
