"""Emails about an application's status: the PI (and teammates with an account) on every
change, the lead unit's administrators when one waits for their endorsement.

A status change is stored as an AuditEvent by ``workflow.transition``; after commit a task
(``application_notify_task``, given the event's id) writes the messages and queues them
(``portal.mail``). The request itself only enqueues: at a deadline rush a submission does
not wait for recipients to be looked up and messages to be rendered. The messages carry the
event as their reference, so a task run twice writes them once; a sweep sends the task again
for an event whose message the broker lost.

Messages are written in Chinese with an English translation below, since an address has no
language.
"""

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import Application
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from portal.mail.services import emails_queue

KIND = "application_status"
# Events older than this are not notified any more by the sweep (a message days late misleads).
SWEEP_WINDOW = timedelta(days=2)

_muted: contextvars.ContextVar[bool] = contextvars.ContextVar("notifications_muted", default=False)


@contextmanager
def muted() -> Iterator[None]:
    """No status emails for the changes made inside (the demo data's hundreds of moves)."""
    token = _muted.set(True)
    try:
        yield
    finally:
        _muted.reset(token)


def enabled() -> bool:
    return not _muted.get()


def reference_of(event_id: int) -> str:
    return f"audit:{event_id}"


def status_changed(*, event: AuditEvent) -> None:
    """Called by ``workflow.transition`` in its transaction: notify after commit."""
    from applications.tasks import application_notify_task

    if not enabled():
        return
    # robust: a broker that is away must not break the move; the sweep sends it later.
    transaction.on_commit(lambda: application_notify_task.delay(event.pk), robust=True)


def _render(application: Any, event: AuditEvent, for_unit: bool) -> tuple[str, str]:
    from applications.workflow import STATES

    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("applications:detail", args=[application.pk])
    parts = []
    subjects = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            context = {
                "application": application,
                "status": STATES[event.to_state].applicant_label,
                "previous": STATES[event.from_state].applicant_label,
                "reason": event.reason,
                "link": link,
                "for_unit": for_unit,
            }
            parts.append(render_to_string("applications/email/status_changed.txt", context).strip())
            subjects.append(
                render_to_string("applications/email/status_changed_subject.txt", context).strip()
            )
    return " / ".join(subjects), "\n\n----------\n\n".join(parts)


def application_notify(*, event_id: int) -> list[OutgoingEmail]:
    """Write and queue the messages of one status change; a second run writes nothing."""
    with transaction.atomic():
        # The event's row lock makes two runs of the task wait for each other.
        event = AuditEvent.objects.select_for_update().get(pk=event_id)
        reference = reference_of(event_id)
        if OutgoingEmail.objects.filter(reference=reference).exists():
            return []
        application = Application.objects.select_related("lead_unit", "pi").get(pk=int(event.object_id))
        waiting_for_unit = event.to_state == "submitted"
        team = Q(pk=application.pi_id) | Q(team_memberships__application=application)
        admins = Q(role=Role.UNIT_ADMIN, organization_id=application.lead_unit_id, is_active=True)
        people = User.objects.filter(team | admins if waiting_for_unit else team).values_list(
            "email", "pk", "role", "organization_id"
        )
        team_addresses, unit_addresses = set(), set()
        for email, pk, role, organization in people.distinct():
            is_admin = (
                role == Role.UNIT_ADMIN
                and organization == application.lead_unit_id
                and pk != application.pi_id
            )
            (unit_addresses if waiting_for_unit and is_admin else team_addresses).add(email)
        messages = []
        for addresses, for_unit in ((team_addresses, False), (unit_addresses, True)):
            if addresses:
                subject, body = _render(application, event, for_unit=for_unit)
                messages += [(address, subject, body) for address in sorted(addresses)]
        return emails_queue(messages=messages, kind=KIND, reference=reference)


def notifications_requeue_stale(*, older_than: timedelta) -> int:
    """Send the task again for each recent status change that has no message yet (its task
    was lost with a broker that went away)."""
    from applications.tasks import application_notify_task

    now = timezone.now()
    events = (
        AuditEvent.objects.filter(
            object_type=Application._meta.label_lower,
            action__startswith="application.",
            created_at__gte=now - SWEEP_WINDOW,
            created_at__lt=now - older_than,
        )
        .exclude(to_state="")
        .exclude(data__notify=False)
    )
    noted = set(
        OutgoingEmail.objects.filter(kind=KIND, created_at__gte=now - SWEEP_WINDOW).values_list(
            "reference", flat=True
        )
    )
    ids = [pk for pk in events.values_list("pk", flat=True) if reference_of(pk) not in noted]
    for event_id in ids:
        application_notify_task.delay(event_id)
    return len(ids)
