"""Emails about an application's status: the PI (and teammates with an account) on every
change, the lead unit's administrators when one waits for their endorsement.

Messages are queued in the transaction and sent after commit (``portal.mail``). They are
written in Chinese with an English translation below, since an address has no language.
"""

from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from applications.models import TeamMember
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.mail.services import email_queue


def _render(application: Any, source: str, reason: str, for_unit: bool) -> tuple[str, str]:
    from applications.workflow import STATES

    link = settings.PORTAL_BASE_URL.rstrip("/") + reverse("applications:detail", args=[application.pk])
    parts = []
    subjects = []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            context = {
                "application": application,
                "status": STATES[application.status].applicant_label,
                "previous": STATES[source].applicant_label,
                "reason": reason,
                "link": link,
                "for_unit": for_unit,
            }
            parts.append(render_to_string("applications/email/status_changed.txt", context).strip())
            subjects.append(
                render_to_string("applications/email/status_changed_subject.txt", context).strip()
            )
    return " / ".join(subjects), "\n\n----------\n\n".join(parts)


def status_changed(*, application: Any, source: str, reason: str = "") -> None:
    people = {application.pi.email}
    people.update(
        TeamMember.objects.filter(application=application, user__isnull=False).values_list(
            "user__email", flat=True
        )
    )
    subject, body = _render(application, source, reason, for_unit=False)
    for address in sorted(people):
        email_queue(to=address, subject=subject, body=body, kind="application_status")
    if application.status == "submitted":
        admins = User.objects.filter(
            role=Role.UNIT_ADMIN, organization_id=application.lead_unit_id, is_active=True
        ).values_list("email", flat=True)
        subject, body = _render(application, source, reason, for_unit=True)
        for address in admins:
            email_queue(to=address, subject=subject, body=body, kind="application_status")
