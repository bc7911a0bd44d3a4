"""Public pages of the calls: the list and one call with its guide tasks by research field.

Reads go through ``applications.selectors``, which the API shares, so a draft call is
hidden the same way on both. Each page costs a fixed number of queries whatever the
number of calls or tasks.
"""

from dataclasses import dataclass, field

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications import selectors
from applications.models import CallField, GuideTask, ResearchField


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
    context = {
        "call": call,
        "call_fields": call_fields,
        "task_groups": group_tasks(call_fields, tasks),
        "shown_tasks": len(tasks),
        "selected_field": selected,
        "field_error": field_error,
        "now": timezone.now(),
    }
    # The filter form asks with htmx for the task list alone; a history restore needs the page.
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        response = render(request, "applications/_guide_tasks.html", context)
    else:
        response = render(request, "applications/call_detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
