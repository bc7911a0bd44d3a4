"""An application read as one document: plain JSON for the API, the snapshot and the PDF,
and the plain input of the rules (``applications/rules.py``).

``document_of(application)`` builds the document from the parts (the rows of partners,
team, budget …). Every service that writes an application stores the result in
``Application.document`` in the same transaction (``document_store``), so readers — the
rules, the submission, the API, the print — read one row instead of seven tables. The
snapshot of a submission is that document; its fingerprint is the SHA-256 of
``canonical_json(document)``, so the same document always gives the same fingerprint.
"""

import hashlib
import json
from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import timezone

from applications import rules
from applications.models import Application, AttachmentKind, CallStatus, TeamMember, TeamRole
from applications.workflow import ACTIVE_STATES, TRANSITIONS_BY_ACTION, deadline_of


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _provinces(unit: Any) -> list[str]:
    """The provinces a unit counts for: where it is registered and where it is located."""
    return sorted({unit.registered_province, unit.located_province})


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
        "guide_task": (
            {
                "id": task.pk,
                "code": task.code,
                "title": task.title_zh,
                "cap": _money(task.cap) if task.cap is not None else None,
            }
            if task
            else None
        ),
        "province": application.province,
        "title": application.title,
        "lead_unit": {
            "id": lead.pk,
            "name": lead.name,
            "uscc": lead.uscc,
            "province": lead.located_province,
            "provinces": _provinces(lead),
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
                "needs_form": p.needs_form,
                "name": p.name,
                "uscc": p.uscc,
                "province": p.province,
                "provinces": _provinces(p.organization) if p.organization_id else [p.province],
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
        "avoided_experts": [
            {"name": a.name, "unit": a.unit_name, "reason": a.reason}
            for a in application.avoided_experts.all()
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
    it is in. One query on the team index; the few rows a person has are sorted out here."""
    rows = (
        TeamMember.objects.filter(id_number__in=id_numbers)
        .exclude(application_id=application.pk)
        # Only counted: without the model's ordering PostgreSQL need not sort them (every
        # submission runs this, under the row lock).
        .order_by()
        .values_list("id_number", "role", "application_id", "application__call_id", "application__status")
    )
    led: Counter = Counter()
    joined: Counter = Counter()
    seen: set[tuple[str, int, bool]] = set()
    for number, role, other, call_id, status in rows:
        active_here = call_id == application.call_id and status in ACTIVE_STATES
        leads = role == TeamRole.PI and (active_here or status == "awarded")
        for counter, counts, key in ((led, leads, True), (joined, active_here, False)):
            if counts and (number, other, key) not in seen:
                seen.add((number, other, key))
                counter[number] += 1
    return led, joined


def document_store(application: Application) -> dict[str, Any]:
    """Build the document from the parts and store it on the row (inside the writer's
    transaction, after the parts are written)."""
    from applications.selectors import application_with_parts

    document = document_of(application_with_parts(application.pk))
    Application.objects.filter(pk=application.pk).update(document=document)
    application.document = document
    return document


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def rules_input(application: Application) -> tuple[rules.Doc, Any]:
    """The rules' input: what the team wrote from the stored document; the call, the guide
    task and the lead unit as they are now (loaded with the row); the project limits (one
    query)."""
    call = application.call
    unit = application.lead_unit
    task = application.guide_task
    document = application.document or {}
    team = document.get("team", [])
    led, joined = limit_counts(application, [m["id_number"] for m in team])
    attachments = document.get("attachments", [])
    forms = {a["partner_uscc"] for a in attachments if a["kind"] == AttachmentKind.PARTNER_FORM}
    doc = rules.Doc(
        call=rules.CallRules(
            cap=call.per_project_cap,
            max_indirect_rate=call.max_indirect_rate,
            min_self_raised_ratio=call.min_self_raised_ratio,
            min_duration_months=call.min_duration_months,
            max_duration_months=call.max_duration_months,
            pi_limit=call.pi_limit,
            member_limit=call.member_limit,
            submit_deadline=deadline_of(TRANSITIONS_BY_ACTION["submit"], application),
            is_open=call.status == CallStatus.OPEN,
            cross_funding_allowed=call.cross_funding_allowed,
            pi_born_after=call.pi_born_after,
        ),
        province=application.province,
        now=timezone.now(),
        task_ok=task is not None and task.call_id == call.pk,
        title=document.get("title", ""),
        start_date=_date(document.get("start_date")),
        duration_months=document.get("duration_months"),
        abstract=document.get("abstract", ""),
        aims=document.get("aims", ""),
        technical_route=document.get("technical_route", ""),
        foundation=document.get("foundation", ""),
        lead=rules.Unit(unit.name, unit.uscc, frozenset(_provinces(unit))),
        partners=tuple(
            rules.Unit(
                p["name"],
                p["uscc"],
                frozenset(p["provinces"]),
                named=p.get("needs_form", True),
                has_form=p["uscc"] in forms,
            )
            for p in document.get("partners", [])
        ),
        team=tuple(
            rules.Member(
                m["name"],
                m["id_number"],
                m["role"],
                _date(m["birth_date"]),
                other_led=led[m["id_number"]],
                other_joined=joined[m["id_number"]],
            )
            for m in team
        ),
        indicators=tuple((i["kind"], i["due_month"]) for i in document.get("indicators", [])),
        milestones=tuple((m["from_month"], m["to_month"]) for m in document.get("milestones", [])),
        budget=tuple(
            rules.BudgetCell(b["unit_uscc"], b["category"], b["source"], Decimal(b["amount"]))
            for b in document.get("budget", [])
        ),
        attachments=frozenset(a["kind"] for a in attachments),
        committed=document.get("integrity_committed_at") is not None,
        avoided_experts=len(document.get("avoided_experts") or []),
    )
    if task is not None and task.call_id == call.pk:
        task.call = call  # the same call, already loaded: no query for the cap
    cap = task.effective_cap if task is not None else call.per_project_cap
    return doc, cap
