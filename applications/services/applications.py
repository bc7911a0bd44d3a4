"""Writes on applications: create, save sections, attachments, the commitment, and the moves
of the workflow (submit, endorse, return, withdraw). Each is one transaction, audited.

Saving follows two rules. A stale save never overwrites a newer one: every write names the
``version`` it was made from and is refused (``StaleDraft``) when the stored one moved on.
And a draft with invalid parts keeps what is valid: each scalar field is taken on its own,
and each list section (partners, team, …) is replaced only when all its rows are valid;
``SaveResult.errors`` names what was not taken and why.
"""

import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import inputs, workflow
from applications.document import document_store, fingerprint
from applications.models import (
    Application,
    Attachment,
    AttachmentKind,
    FundingCall,
    GuideTask,
    Submission,
    TeamMember,
    TeamRole,
)
from applications.problems import Problem, problems_of
from applications.workflow import EDITABLE_STATES, TransitionError
from portal.audit.services import audit_record
from portal.choices import Province

MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


class ApplicationError(Exception):
    """Refused, with a message for the user; ``code`` is stable for API clients and tests."""

    def __init__(self, message: str, code: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class StaleDraft(ApplicationError):
    """The stored application is newer than the one the change was made from."""


class NotEditable(ApplicationError):
    """The application is not a draft (or returned for revision) any more."""


class SubmissionRefused(ApplicationError):
    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(_("The application cannot be submitted yet: see the problems listed."), "invalid")
        self.problems = problems


@dataclass
class SaveResult:
    application: Application
    errors: list[Problem] = field(default_factory=list)
    saved: list[str] = field(default_factory=list)


def province_of_unit(unit: Any) -> str | None:
    """The bureau a unit applies to: the province it is registered in, else where it is located."""
    for province in (unit.registered_province, unit.located_province):
        if province in (Province.SC, Province.CQ):
            return province
    return None


def application_create(
    *, call: FundingCall, by: Any, guide_task: GuideTask | None = None, title: str = ""
) -> Application:
    """A new draft led by ``by`` for their unit; the leader is the first team member when
    their profile has an ID number."""
    from applications.permissions import can_apply

    allowed, reason = can_apply(by, call)
    if not allowed:
        raise ApplicationError(reason, "not_allowed")
    unit = by.organization
    province = province_of_unit(unit)
    if guide_task is not None and guide_task.call_id != call.pk:
        raise ApplicationError(_("Choose a guide task of this call."), "invalid", "guide_task")
    title = (title or "").strip()
    try:
        Application._meta.get_field("title").clean(title, None)
    except ValidationError as error:
        raise ApplicationError(" ".join(error.messages), "invalid", "title") from error
    with transaction.atomic():
        application = Application.objects.create(
            call=call,
            guide_task=guide_task,
            province=province,
            title=title,
            lead_unit=unit,
            pi=by,
        )
        if by.id_number:
            TeamMember.objects.create(
                application=application,
                user=by,
                name=by.full_name,
                id_type=by.id_type,
                id_number=by.id_number,
                birth_date=by.birth_date,
                unit_name=unit.name,
                title=by.title,
                role=TeamRole.PI,
                time_percent=50,
            )
        document_store(application)
        audit_record(actor=by, action="application.create", obj=application, to_state=application.status)
    return application


def _lock_for_edit(application: Application, version: Any) -> Application:
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("call", "lead_unit", "pi")
        .get(pk=application.pk)
    )
    if locked.status not in EDITABLE_STATES:
        raise NotEditable(
            _("The application has been submitted and can no longer be changed."), "not_editable"
        )
    if str(version) != str(locked.version):
        raise StaleDraft(
            _(
                "Someone saved this application after you opened it (version %(stored)s, yours %(yours)s). "
                "Your changes were not saved."
            )
            % {"stored": locked.version, "yours": version},
            "stale",
            "version",
        )
    return locked


def _bump(application: Application) -> None:
    Application.objects.filter(pk=application.pk).update(version=F("version") + 1, updated_at=timezone.now())
    application.refresh_from_db(fields=["version", "updated_at"])


def application_save(*, application: Application, data: dict[str, Any], version: Any, by: Any) -> SaveResult:
    """Save the parts of ``data`` that are valid (see the module docstring)."""
    with transaction.atomic():
        locked = _lock_for_edit(application, version)
        cleaned = inputs.clean(locked, data)
        result = SaveResult(application=locked)
        result.errors = [
            Problem(section, path, "invalid", message) for section, path, message in cleaned.errors
        ]
        if cleaned.values:
            for name, value in cleaned.values.items():
                setattr(locked, name, value)
            locked.save(update_fields=[*cleaned.values, "updated_at"])
            result.saved.extend(cleaned.values)
        for section, rows in cleaned.rows.items():
            manager = getattr(locked, section)
            manager.all().delete()
            manager.model.objects.bulk_create(rows)
            result.saved.append(section)
        if result.saved:
            _bump(locked)
            document_store(locked)
            audit_record(
                actor=by,
                action="application.save",
                obj=locked,
                data={"saved": result.saved, "refused": sorted({p.field for p in result.errors})},
            )
    return result


def _is_pdf(head: bytes, tail: bytes) -> bool:
    return head.startswith(b"%PDF-") and b"%%EOF" in tail


def attachment_upload(
    *, application: Application, kind: str, upload: Any, by: Any, version: Any, partner_uscc: str = ""
) -> Attachment:
    """Store a PDF attachment, replacing the one of the same kind (and partner). The file is
    checked by content (a PDF header and trailer), size and name; its stored name is its
    fingerprint, never the uploader's name."""
    name = str(getattr(upload, "name", "") or "")
    if kind not in AttachmentKind.values:
        raise ApplicationError(_("Choose the kind of attachment."), "invalid", "kind")
    # Django's upload parser already keeps only the last part of a path; API clients and
    # other callers may not go through it, so the service refuses any path itself.
    if not name or name in (".", "..") or any(ch in name for ch in "/\\") or any(ord(ch) < 32 for ch in name):
        raise ApplicationError(
            _("The file name may not contain a path, “..” or control characters."), "invalid", "file"
        )
    size = upload.size
    if size > MAX_ATTACHMENT_BYTES:
        raise ApplicationError(
            _("The file is %(size)s MB; attachments may be at most 20 MB.")
            % {"size": f"{size / 1048576:.1f}"},
            "too_large",
            "file",
        )
    upload.seek(0)
    head = upload.read(1024)
    upload.seek(max(size - 2048, 0))
    tail = upload.read()
    if not _is_pdf(head, tail):
        raise ApplicationError(
            _("The file is not a PDF (checked by its content, not its name). Please upload a PDF."),
            "not_pdf",
            "file",
        )
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    partner_uscc = str(partner_uscc or "").strip().upper() if kind == AttachmentKind.PARTNER_FORM else ""
    if any(ord(ch) < 32 for ch in partner_uscc) or len(partner_uscc) > 18:
        raise ApplicationError(_("Choose one of the application's partner units."), "invalid", "partner_uscc")
    with transaction.atomic():
        locked = _lock_for_edit(application, version)
        if kind == AttachmentKind.PARTNER_FORM and not locked.partners.filter(uscc=partner_uscc).exists():
            raise ApplicationError(
                _("Choose one of the application's partner units."), "invalid", "partner_uscc"
            )
        old = list(locked.attachments.filter(kind=kind, partner_uscc=partner_uscc))
        for attachment in old:
            attachment.delete()
        attachment = Attachment(
            application=locked,
            kind=kind,
            partner_uscc=partner_uscc,
            original_name=name[:200],
            size=size,
            sha256=digest.hexdigest(),
            uploaded_by=by,
        )
        upload.seek(0)
        attachment.file.save("upload.pdf", File(upload), save=False)
        attachment.save()
        _bump(locked)
        document_store(locked)
        audit_record(
            actor=by,
            action="application.attachment",
            obj=locked,
            data={
                "kind": kind,
                "partner_uscc": partner_uscc,
                "sha256": attachment.sha256,
                "name": name[:200],
            },
        )
    return attachment


def application_commit(
    *, application: Application, by: Any, version: Any, committed: bool = True
) -> Application:
    """The PI ticks (or unticks) the integrity commitment; the time is recorded."""
    if application.pi_id != getattr(by, "pk", None):
        raise ApplicationError(_("Only the project leader can sign the integrity commitment."), "not_allowed")
    with transaction.atomic():
        locked = _lock_for_edit(application, version)
        locked.integrity_committed_at = timezone.now() if committed else None
        locked.integrity_committed_by = by if committed else None
        locked.save(update_fields=["integrity_committed_at", "integrity_committed_by", "updated_at"])
        _bump(locked)
        document_store(locked)
        audit_record(actor=by, action="application.commitment", obj=locked, data={"committed": committed})
    return locked


def application_submit(*, application: Application, by: Any) -> Application:
    """Run every rule; refuse with all problems at once, or move to ``submitted`` and freeze
    the document. Two clicks or two tabs submit once: the row is locked, and the move is a
    conditional UPDATE. The application comes back with ``latest_submission``, the new
    Submission."""
    with transaction.atomic():
        # The stored document holds every part: the row alone is read (and locked).
        current = (
            Application.objects.select_for_update(of=("self",))
            .select_related("call", "guide_task", "lead_unit")
            .get(pk=application.pk)
        )
        move = workflow.TRANSITIONS_BY_ACTION["submit"]
        # Who asks comes first: someone who may not submit learns nothing of the problems.
        if not workflow.actor_may(move.actor, by, current):
            raise TransitionError(_("Only the project leader can submit the application."), code="actor")
        if current.status not in move.sources:
            raise TransitionError(
                _("The application has already been submitted (it is “%(status)s”).")
                % {"status": workflow.STATES[current.status].applicant_label},
                code="state",
            )
        problems = problems_of(current)
        if problems:
            raise SubmissionRefused(problems)
        now = timezone.now()
        # The row is locked: the next number is known without counting the submissions.
        number = current.submission_count + 1
        workflow.transition(
            application=current,
            action="submit",
            by=by,
            changes={"submitted_at": now, "submission_count": number},
        )
        document = dict(current.document)
        document["submitted_at"] = timezone.localtime(now).isoformat()
        submission = Submission.objects.create(
            application=current,
            number=number,
            document=document,
            sha256=fingerprint(document),
            verification_code=secrets.token_hex(8).upper(),
            submitted_by=by,
            submitted_at=now,
        )
    current.latest_submission = submission
    return current


def application_move(*, application: Application, action: str, by: Any, reason: str = "") -> Application:
    """Endorse, return or withdraw (the moves without rules of their own beyond the table)."""
    if action not in ("endorse", "return", "withdraw", "accept"):
        raise ApplicationError(_("Unknown action."), "invalid")
    return workflow.transition(application=application, action=action, by=by, reason=reason)
