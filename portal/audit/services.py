"""Writing the audit trail. Every service that writes calls ``audit_record`` in its transaction."""

from typing import Any

from django.db import models

from portal.audit.context import client_ip
from portal.audit.models import AuditEvent


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    data: dict | None = None,
) -> AuditEvent:
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        data=data or {},
        ip=client_ip.get(),
    )
