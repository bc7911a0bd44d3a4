"""Public pages of the calls: the list and one call with its guide tasks by research field.

Reads go through ``applications.selectors``, which the API shares, so a draft call is
hidden the same way on both. Each page costs a fixed number of queries whatever the
number of calls or tasks.
"""

import logging
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from applications import selectors, services
from applications.models import CallField, GuideTask, ResearchField
from applications.permissions import can_apply, can_print_guide

logger = logging.getLogger(__name__)


@dataclass
class TaskGroup:
    """The guide tasks of one research field, with the field's quota in this call."""

    field: ResearchField
    quota: int | None
    tasks: list[GuideTask] = field(default_factory=list)


def group_tasks(call_fields: list[CallField], tasks: list[GuideTask]) -> list[TaskGroup]:
    """Tasks grouped by field, in the call's field order; a task whose field the call does
    not list (a data slip in the admin) still shows, in a group after the others."""
    groups: dict[int, TaskGroup] = {cf.field_id: TaskGroup(cf.field, cf.quota) for cf in call_fields}
    for task in tasks:
        group = groups.setdefault(task.field_id, TaskGroup(task.field, None))
        group.tasks.append(task)
    return [group for group in groups.values() if group.tasks]


@require_GET
def call_list(request: HttpRequest) -> HttpResponse:
    calls = list(selectors.calls_visible_to(request.user))
    return render(request, "applications/call_list.html", {"calls": calls, "now": timezone.now()})


@require_GET
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = selectors.call_get_for_user(user=request.user, pk=pk)
    call_fields = list(call.call_fields.all())
    field_codes = [cf.field.code for cf in call_fields]

    selected = request.GET.get("field", "")
    field_error = ""
    if selected and selected not in field_codes:
        # A stale or mistyped filter shows every task with a word, rather than an empty page.
        field_error = _("There is no field “%(code)s” in this call; all guide tasks are shown.") % {
            "code": selected
        }
        selected = ""

    tasks = list(selectors.tasks_of_call(call, selected or None))
    may_apply, apply_reason = can_apply(request.user, call)
    context = {
        "call": call,
        "call_fields": call_fields,
        "task_groups": group_tasks(call_fields, tasks),
        "shown_tasks": len(tasks),
        "selected_field": selected,
        "field_error": field_error,
        "now": timezone.now(),
        "may_print_guide": can_print_guide(request.user, call)[0],
        "may_apply": may_apply,
        "apply_reason": apply_reason,
    }
    # The filter form asks with htmx for the task list alone; a history restore needs the page.
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, "applications/_guide_tasks.html", context)
    else:
        response = render(request, "applications/call_detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_GET
def call_guide_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The printed guide of a call: public, like the call itself."""
    call = selectors.call_get_for_user(user=request.user, pk=pk)
    if not call.guide_pdf:
        raise Http404(_("The guide of this call has not been printed yet."))
    try:
        pdf = call.guide_pdf.open("rb")
    except OSError as error:
        # The row names a file that storage lacks (a restored database, a node without S3).
        logger.error("guide of call %s missing from storage: %s", call.pk, error)
        raise Http404(_("The guide of this call has not been printed yet.")) from error
    return FileResponse(pdf, content_type="application/pdf", filename=f"{call.title_zh}申报指南.pdf")


@require_POST
@login_required
def call_guide_print(request: HttpRequest, pk: int) -> HttpResponse:
    """Queue the printing of the guide; with htmx answer the job's progress, else go back."""
    call = selectors.call_get_for_user(user=request.user, pk=pk)
    allowed, reason = can_print_guide(request.user, call)
    if not allowed:
        raise PermissionDenied(reason)
    job = services.call_guide_request(call=call, by=request.user)
    if getattr(request, "htmx", None):
        return render(
            request, "jobs/_status.html", {"job": job, "next": reverse("calls:detail", args=[call.pk])}
        )
    messages.info(request, _("The guide is being printed; it appears here in a few seconds."))
    return redirect(reverse("calls:detail", args=[call.pk]))
