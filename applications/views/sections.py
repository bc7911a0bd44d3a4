"""Editing an application section by section, in any order, and downloading its attachments.

Each of the nine section pages shows a navigation through all sections, each marked
complete or with the number of things the rules still find missing; the current section's
missing things; and its form. A save names the ``version`` the page was made from and goes
to one service (``application_save``, ``attachment_upload`` or ``application_commit``):
valid parts are kept and the rest comes back next to its field with what the person typed;
a stale version or a submitted application is refused with the service's message. A
successful save redirects (post/redirect/get) to the same section or, with "Save and
continue", to the next one.
"""

import logging
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from applications.forms import EXTRA_ROWS, ErrorItem, editor_for
from applications.models import Application, Attachment, AttachmentKind
from applications.models.application import REQUIRED_ATTACHMENTS
from applications.permissions import can_edit_application
from applications.problems import SECTION_LABELS, by_section, problems_of
from applications.rules import SECTIONS
from applications.selectors import application_get_for_user
from applications.services import (
    ApplicationError,
    NotEditable,
    StaleDraft,
    application_commit,
    application_save,
    attachment_upload,
)
from applications.workflow import applicant_label

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SectionLink:
    code: str
    label: str
    url: str
    missing: int
    current: bool


@dataclass
class FileSlot:
    """One attachment the application needs: a required kind, or a named partner's form."""

    kind: str
    label: str
    partner_uscc: str = ""
    current: Attachment | None = None
    error: str = ""

    @property
    def anchor(self) -> str:
        return f"file-{self.kind}" + (f"-{self.partner_uscc}" if self.partner_uscc else "")


def section_url(application: Application, section: str) -> str:
    return reverse("applications:edit", args=[application.pk, section])


def next_url(application: Application, section: str) -> str:
    """The next section, or after the last one the application's overview (where it is submitted)."""
    index = SECTIONS.index(section)
    if index + 1 < len(SECTIONS):
        return section_url(application, SECTIONS[index + 1])
    return reverse("applications:detail", args=[application.pk])


def after_save(request: HttpRequest, application: Application, section: str) -> HttpResponse:
    if request.POST.get("then") == "next":
        return redirect(next_url(application, section))
    return redirect(section_url(application, section))


def file_slots(application: Application, error_key: tuple[str, str] | None = None, error: str = "") -> tuple:
    """The upload slots (required kinds, then one per named partner) and any other stored file."""
    stored = {(a.kind, a.partner_uscc): a for a in application.attachments.all()}
    slots = [FileSlot(kind, str(AttachmentKind(kind).label)) for kind in REQUIRED_ATTACHMENTS]
    for partner in application.partners.all():
        key = (AttachmentKind.PARTNER_FORM, partner.uscc)
        if partner.needs_form and not any(s.partner_uscc == partner.uscc for s in slots):
            label = _("Sealed cooperation form of %(unit)s") % {"unit": partner.name}
            slots.append(FileSlot(key[0], label, partner.uscc))
    for slot in slots:
        slot.current = stored.pop((slot.kind, slot.partner_uscc), None)
        if error_key == (slot.kind, slot.partner_uscc):
            slot.error = error
    # A form of a unit that is no longer a partner: still listed, so nothing is hidden.
    return slots, list(stored.values())


def page(
    request: HttpRequest,
    application: Application,
    section: str,
    *,
    editor: Any = None,
    status: int = 200,
    stale: str = "",
    refused: str = "",
    saved_some: bool = False,
    upload_error: tuple[tuple[str, str], str] | None = None,
    commit_error: str = "",
) -> HttpResponse:
    may_edit, reason = can_edit_application(request.user, application)
    if editor is None:
        editor = editor_for(section, application, extra=EXTRA_ROWS if may_edit else 0)
    grouped = by_section(problems_of(application))
    error_items: list[ErrorItem] = editor.error_items() if editor is not None and editor.has_errors else []
    context: dict[str, Any] = {
        "application": application,
        "section": section,
        "section_label": SECTION_LABELS[section],
        "status_label": applicant_label(application.status),
        "nav": [
            SectionLink(
                code,
                str(SECTION_LABELS[code]),
                section_url(application, code),
                len(grouped[code]),
                code == section,
            )
            for code in SECTIONS
        ],
        "missing": grouped[section],
        "may_edit": may_edit,
        "reason": reason,
        "version": application.version,
        "stale": stale,
        "refused": refused,
        "saved_some": saved_some,
        "is_last": section == SECTIONS[-1],
        "next_section_url": next_url(application, section),
    }
    if editor is not None:
        context.update(editor.context())
    if section == "attachments":
        key, message = upload_error or (None, "")
        slots, others = file_slots(application, key, message)
        context.update(slots=slots, other_files=others)
        error_items += [
            ErrorItem(f"{slot.anchor}-file", f"{slot.label}: {slot.error}") for slot in slots if slot.error
        ]
        if message and not any(slot.error for slot in slots):
            # A kind or partner the page does not offer (an old page, a hand-made request).
            error_items.append(ErrorItem(slots[0].anchor, message))
    if section == "partners":
        context["attachments_url"] = section_url(application, "attachments")
    if section == "commitment":
        context["is_pi"] = application.pi_id == request.user.pk
        context["commit_error"] = commit_error
        if commit_error:
            error_items.append(ErrorItem("committed", commit_error))
    context["error_items"] = error_items
    return render(request, f"applications/sections/{section}.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def edit(request: HttpRequest, pk: int, section: str) -> HttpResponse:
    if section not in SECTIONS:
        raise Http404(_("There is no such section."))
    application = application_get_for_user(user=request.user, pk=pk)
    if request.method != "POST":
        return page(request, application, section)
    allowed, reason = can_edit_application(request.user, application)
    if not allowed:
        return page(request, application, section, refused=reason, status=403)
    if section == "attachments":
        return upload(request, application)
    if section == "commitment":
        return commit(request, application)
    return save(request, application, section)


def reload(request: HttpRequest, application: Application) -> Application:
    return application_get_for_user(user=request.user, pk=application.pk)


def save(request: HttpRequest, application: Application, section: str) -> HttpResponse:
    editor = editor_for(section, application, data=request.POST)
    data = editor.collect()
    try:
        # Held back by the form's own errors, the save still checks the version: a stale
        # page hears so at once rather than after the person has fixed every field.
        result = application_save(
            application=application, data=data or {}, version=request.POST.get("version", ""), by=request.user
        )
    except StaleDraft as error:
        return page(
            request, reload(request, application), section, editor=editor, stale=error.message, status=409
        )
    except NotEditable as error:
        return page(request, reload(request, application), section, refused=error.message, status=403)
    editor.place(result.errors)
    if data is None:
        editor.check(application)
    if editor.has_errors:
        return page(
            request, reload(request, application), section, editor=editor, saved_some=bool(result.saved)
        )
    messages.success(request, _("Saved: %(section)s.") % {"section": SECTION_LABELS[section]})
    return after_save(request, application, section)


def upload(request: HttpRequest, application: Application) -> HttpResponse:
    kind = request.POST.get("kind", "")
    partner_uscc = request.POST.get("partner_uscc", "")
    key = (kind, partner_uscc)
    file = request.FILES.get("file")
    if file is None:
        return page(
            request, application, "attachments", upload_error=(key, _("Choose a PDF file to upload."))
        )
    try:
        attachment_upload(
            application=application,
            kind=kind,
            upload=file,
            by=request.user,
            version=request.POST.get("version", ""),
            partner_uscc=partner_uscc,
        )
    except StaleDraft as error:
        again = _("Choose the file again to upload it.")
        return page(
            request,
            reload(request, application),
            "attachments",
            stale=error.message,
            upload_error=(key, again),
            status=409,
        )
    except NotEditable as error:
        return page(request, reload(request, application), "attachments", refused=error.message, status=403)
    except ApplicationError as error:
        return page(request, application, "attachments", upload_error=(key, error.message))
    label = AttachmentKind(kind).label if kind in AttachmentKind.values else kind
    messages.success(request, _("Uploaded: %(kind)s.") % {"kind": label})
    slot = FileSlot(kind, "", partner_uscc.strip().upper() if kind == AttachmentKind.PARTNER_FORM else "")
    return redirect(f"{section_url(application, 'attachments')}#{slot.anchor}")


def commit(request: HttpRequest, application: Application) -> HttpResponse:
    committed = request.POST.get("committed") == "1"
    try:
        application_commit(
            application=application,
            by=request.user,
            version=request.POST.get("version", ""),
            committed=committed,
        )
    except StaleDraft as error:
        return page(request, reload(request, application), "commitment", stale=error.message, status=409)
    except NotEditable as error:
        return page(request, reload(request, application), "commitment", refused=error.message, status=403)
    except ApplicationError as error:
        return page(request, application, "commitment", commit_error=error.message, status=403)
    if committed:
        messages.success(request, _("Your integrity commitment is recorded."))
    else:
        messages.success(request, _("Your integrity commitment is withdrawn."))
    return after_save(request, application, "commitment")


def download_name(attachment: Attachment) -> str:
    """The uploader's file name, made harmless: no path, no quotes or control characters, .pdf."""
    name = unicodedata.normalize("NFC", attachment.original_name)
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '\\/:*?"<>|;')
    name = name.strip(" .")[:150]
    if not name:
        name = attachment.kind
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    return name


@login_required
@require_GET
def attachment(request: HttpRequest, pk: int, attachment_id: int) -> FileResponse:
    """An attachment, for those who may read the application; a 404 for anyone else."""
    application = application_get_for_user(user=request.user, pk=pk)
    found = next((a for a in application.attachments.all() if a.pk == attachment_id), None)
    if found is None:
        raise Http404(_("There is no such attachment."))
    try:
        handle = found.file.open("rb")
    except OSError as error:
        logger.error(
            "attachment %s of application %s missing from storage: %s", found.pk, application.pk, error
        )
        raise Http404(_("There is no such attachment.")) from error
    response = FileResponse(
        handle, as_attachment=True, filename=download_name(found), content_type="application/pdf"
    )
    response["Cache-Control"] = "private, no-store"
    return response
