"""An application read as one document: plain JSON for the API, the snapshot and the PDF,
and the plain input of the rules (``applications/rules.py``).

The snapshot of a submission is ``document_of(application)``; its fingerprint is the SHA-256
of ``canonical_json(document)``, so the same document always gives the same fingerprint.
"""

import hashlib
import json
from collections import Counter
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone

from applications import rules
from applications.models import Application, AttachmentKind, CallStatus, TeamMember, TeamRole
from applications.workflow import ACTIVE_STATES, STATES

ACTIVE = sorted(ACTIVE_STATES)


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def document_of(application: Application) -> dict[str, Any]:
    """The whole application as JSON-ready data (amounts as decimal strings in yuan).
    Expects the parts prefetched (see ``selectors.application_with_parts``)."""
    task = application.guide_task
    lead = application.lead_unit
    return {
        "id": application.pk,
        "reference": application.reference,
        "call": {
            "id": application.call_id,
            "year": application.call.year,
            "title": application.call.title_zh,
        },
        "guide_task": {"id": task.pk, "code": task.code, "title": task.title_zh} if task else None,
        "province": application.province,
        "title": application.title,
        "lead_unit": {
            "id": lead.pk,
            "name": lead.name,
            "uscc": lead.uscc,
            "province": lead.located_province,
        },
        "pi": {"id": application.pi_id, "name": application.pi.full_name, "email": application.pi.email},
        "start_date": application.start_date.isoformat() if application.start_date else None,
        "duration_months": application.duration_months,
        "abstract": application.abstract,
        "aims": application.aims,
        "technical_route": application.technical_route,
        "foundation": application.foundation,
        "partners": [
            {
                "organization": p.organization_id,
                "name": p.name,
                "uscc": p.uscc,
                "province": p.province,
            }
            for p in application.partners.all()
        ],
        "team": [
            {
                "name": m.name,
                "email": m.user.email if m.user_id else "",
                "id_type": m.id_type,
                "id_number": m.id_number,
                "birth_date": m.birth_date.isoformat() if m.birth_date else None,
                "unit": m.unit_name,
                "title": m.title,
                "role": m.role,
                "time_percent": m.time_percent,
            }
            for m in application.team.all()
        ],
        "indicators": [
            {
                "kind": i.kind,
                "metric": i.metric,
                "target": _money(i.target),
                "unit": i.unit,
                "due_month": i.due_month,
            }
            for i in application.indicators.all()
        ],
        "milestones": [
            {"from_month": m.from_month, "to_month": m.to_month, "content": m.content}
            for m in application.milestones.all()
        ],
        "budget": [
            {"unit_uscc": b.unit_uscc, "category": b.category, "source": b.source, "amount": _money(b.amount)}
            for b in application.budget.all()
        ],
        "attachments": [
            {
                "kind": a.kind,
                "partner_uscc": a.partner_uscc,
                "name": a.original_name,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in application.attachments.all()
        ],
        "integrity_committed_at": (
            timezone.localtime(application.integrity_committed_at).isoformat()
            if application.integrity_committed_at
            else None
        ),
    }


def canonical_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def fingerprint(document: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(document)).hexdigest()


def limit_counts(application: Application, id_numbers: list[str]) -> tuple[Counter, Counter]:
    """For each ID number: other applications it leads (active ones of this call, plus funded
    projects of any call: ongoing projects count), and other active applications of this call
    it is in. One query."""
    rows = (
        TeamMember.objects.filter(id_number__in=id_numbers)
        .filter(
            Q(application__call_id=application.call_id, application__status__in=ACTIVE)
            | Q(role=TeamRole.PI, application__status="awarded")
        )
        .exclude(application_id=application.pk)
        .values_list("id_number", "role", "application_id", "application__call_id")
        .distinct()
    )
    led: Counter = Counter()
    joined: Counter = Counter()
    for number, role, _app, call_id in rows:
        if role == TeamRole.PI:
            led[number] += 1
        if call_id == application.call_id:
            joined[number] += 1
    return led, joined


def rules_input(application: Application) -> tuple[rules.Doc, Any]:
    call = application.call
    lead = application.lead_unit
    team = list(application.team.all())
    led, joined = limit_counts(application, [m.id_number for m in team])
    kinds = {a.kind for a in application.attachments.all()}
    forms = {a.partner_uscc for a in application.attachments.all() if a.kind == AttachmentKind.PARTNER_FORM}
    doc = rules.Doc(
        call=rules.CallRules(
            cap=call.per_project_cap,
            max_indirect_rate=call.max_indirect_rate,
            min_self_raised_ratio=call.min_self_raised_ratio,
            min_duration_months=call.min_duration_months,
            max_duration_months=call.max_duration_months,
            pi_limit=call.pi_limit,
            member_limit=call.member_limit,
            submit_deadline=call.submit_deadline,
            is_open=call.status == CallStatus.OPEN,
            cross_funding_allowed=call.cross_funding_allowed,
            pi_born_after=call.pi_born_after,
        ),
        province=application.province,
        now=timezone.now(),
        task_ok=application.guide_task is not None and application.guide_task.call_id == call.pk,
        title=application.title,
        start_date=application.start_date,
        duration_months=application.duration_months,
        abstract=application.abstract,
        aims=application.aims,
        technical_route=application.technical_route,
        foundation=application.foundation,
        lead=rules.Unit(lead.name, lead.uscc, frozenset({lead.registered_province, lead.located_province})),
        partners=tuple(
            rules.Unit(
                p.name,
                p.uscc,
                frozenset(
                    {p.organization.registered_province, p.organization.located_province}
                    if p.organization_id
                    else {p.province}
                ),
                named=p.organization_id is None,
                has_form=p.uscc in forms,
            )
            for p in application.partners.all()
        ),
        team=tuple(
            rules.Member(
                m.name,
                m.id_number,
                m.role,
                m.birth_date,
                other_led=led[m.id_number],
                other_joined=joined[m.id_number],
            )
            for m in team
        ),
        indicators=tuple((i.kind, i.due_month) for i in application.indicators.all()),
        milestones=tuple((m.from_month, m.to_month) for m in application.milestones.all()),
        budget=tuple(
            rules.BudgetCell(b.unit_uscc, b.category, b.source, b.amount) for b in application.budget.all()
        ),
        attachments=frozenset(kinds),
        committed=application.integrity_committed_at is not None,
    )
    task = application.guide_task
    cap = task.effective_cap if task is not None and task.cap is not None else call.per_project_cap
    return doc, cap


def status_label(application: Application) -> str:
    return str(STATES[application.status].applicant_label)
