"""The public announcement (立项公示) of a call's approved awards, real-name objections to it,
their resolution by staff, and the closing that makes the awards final.

- ``publicity_start``: staff announce every live award of the call once all are approved by
  both bureaus; the window lasts ``call.publicity_working_days`` working days counted on the
  Holiday calendar (``reviews.working_days``). Approved awards become announced.
- ``objection_file``: anyone, without an account, objects in their real name to one announced
  award while the window is open (Beijing dates); the award becomes objected. The objector
  gets a reference and a receipt by email. What they type is checked by
  ``reviews.objection_input``.
- ``objection_resolve``: staff uphold (the award is withdrawn through
  ``reviews.services.awards.award_withdraw`` and the application is not funded) or dismiss
  (the award is announced again once no other objection to it is open), with a reason that
  is emailed to the objector.
- ``publicity_close``: after the end date, with no open objection, announced awards become
  final (their applications funded) and the call's other shortlisted or reviewed
  applications without a live award are not funded. ``publicities_close_due`` is the beat
  sweep that closes every publicity that is due.

Locks are always taken in one order — the call, the publicity, the objection, the award —
the order of the award services (which lock the call first), so that concurrent starts,
objections, decisions and closings wait for each other instead of deadlocking.
"""

import logging
import secrets
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, FundingCall
from applications.workflow import TransitionError, transition
from portal.audit.services import audit_record
from portal.fields import clean_text
from portal.mail.services import email_queue
from reviews.models import (
    LIVE_AWARD_STATUSES,
    Award,
    AwardStatus,
    Holiday,
    Objection,
    ObjectionStatus,
    Publicity,
    PublicityStatus,
)
from reviews.objection_input import _valid_ip, clean_objection
from reviews.permissions import can_resolve_objection, can_run_publicity
from reviews.working_days import add_working_days

logger = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
MAX_REASON = 2000
MAX_CONTACT = 200
# How far ahead an announcement may be set (a typo such as 2221 would otherwise be taken).
MAX_AHEAD = timedelta(days=366)
# Awards that may be objected to (an objected award takes further objections).
OBJECTABLE = (AwardStatus.ANNOUNCED, AwardStatus.OBJECTED)
# Awards shown in the announcement: announced, under objection, or final after it.
PUBLIC_STATUSES = (AwardStatus.ANNOUNCED, AwardStatus.OBJECTED, AwardStatus.FINAL)
# How many refused awards or open objections a message names before "and N more".
NAMED = 10


class PublicityError(Exception):
    """A refusal of the publicity services; ``message`` says why, for the user; ``code`` is
    stable: ``not_allowed``, ``invalid``, ``past``, ``too_far``, ``already``, ``unapproved``, ``no_awards``,
    ``calendar``, ``not_open``, ``not_announced``, ``decided``, ``before_end``,
    ``open_objections``, ``conflict``. ``field`` names the input at fault, when one is."""

    def __init__(self, message: str, code: str = "invalid", field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field


class ObjectionInvalid(PublicityError):
    """An objection with bad input: ``errors`` maps each field at fault to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(_("Please correct the marked fields."), code="invalid")
        self.errors = errors


# Refusals about a state rather than about the input (the API answers 409 for them).
STATE_CODES = frozenset(
    {
        "already",
        "unapproved",
        "no_awards",
        "not_open",
        "not_announced",
        "decided",
        "before_end",
        "open_objections",
        "conflict",
    }
)


def beijing_today() -> date:
    """Today in Beijing, whatever the server's zone: windows are Beijing dates."""
    return timezone.localdate(timezone=BEIJING)


def _require(permission: tuple[bool, str]) -> None:
    allowed, reason = permission
    if not allowed:
        raise PublicityError(reason, code="not_allowed")


def _named(items: list[str]) -> str:
    shown = "; ".join(items[:NAMED])
    if len(items) > NAMED:
        shown += " " + _("and %(count)d more") % {"count": len(items) - NAMED}
    return shown


def _award_name(award: Award) -> str:
    application = award.application
    return f"{application.reference} {application.title}"


def calendar_between(start: date) -> tuple[set[date], set[date]]:
    """The days off and the worked weekend days of the Holiday calendar from ``start`` on."""
    days_off: set[date] = set()
    workdays: set[date] = set()
    for day, workday in Holiday.objects.filter(date__gte=start).values_list("date", "workday"):
        (workdays if workday else days_off).add(day)
    return days_off, workdays


def publicity_end(*, start_date: date, working_days: int) -> date:
    """The last day of an announcement of ``working_days`` working days from ``start_date``."""
    days_off, workdays = calendar_between(start_date)
    return add_working_days(start_date, working_days, days_off, workdays)


# --- Starting the announcement --------------------------------------------------------------


def publicity_start(
    *, call: FundingCall, start_date: Any, by: Any, today: date | None = None, contact: str = ""
) -> Publicity:
    """Announce the call's awards from ``start_date`` (today or later; the demo passes an
    earlier ``today`` to announce in the past). Every live award must be approved by both
    bureaus, at least one must be; a call is announced once. Approved awards → announced."""
    _require(can_run_publicity(by, call))
    if isinstance(start_date, str):
        try:
            start_date = date.fromisoformat(start_date.strip())
        except ValueError:
            start_date = None
    if isinstance(start_date, datetime):
        start_date = (
            timezone.localtime(start_date, BEIJING).date()
            if timezone.is_aware(start_date)
            else start_date.date()
        )
    if not isinstance(start_date, date):
        raise PublicityError(
            _("Give the first day of the announcement as a date (YYYY-MM-DD)."), "invalid", "start_date"
        )
    today = today or beijing_today()
    if start_date < today:
        raise PublicityError(
            _("The announcement cannot start in the past (%(date)s); choose today or a later day.")
            % {"date": start_date.isoformat()},
            "past",
            "start_date",
        )
    if start_date > today + MAX_AHEAD:
        raise PublicityError(
            _("The announcement must start within a year from today."), "too_far", "start_date"
        )
    try:
        contact = clean_text(contact, max_length=MAX_CONTACT)
    except ValidationError as error:
        raise PublicityError(error.messages[0], "invalid", "contact") from error
    working_days = call.publicity_working_days
    if working_days < 1:
        raise PublicityError(
            _("The call's announcement lasts no working day; set its number of working days first."),
            "calendar",
        )
    with transaction.atomic():
        call = FundingCall.objects.select_for_update().get(pk=call.pk)
        if Publicity.objects.filter(call=call).exists():
            raise PublicityError(_("The awards of this call have already been announced."), "already")
        awards = list(
            Award.objects.select_for_update(of=("self",))
            .filter(call=call, status__in=LIVE_AWARD_STATUSES)
            .select_related("application__call")
            .order_by("field__position", "-score", "pk")
        )
        waiting = [a for a in awards if a.status != AwardStatus.APPROVED]
        if waiting:
            raise PublicityError(
                _(
                    "Every award must be approved by both bureaus before the announcement; not yet: %(awards)s."
                )
                % {"awards": _named([f"{_award_name(a)} ({a.get_status_display()})" for a in waiting])},
                "unapproved",
            )
        if not awards:
            raise PublicityError(_("There is no approved award to announce."), "no_awards")
        ends_on = publicity_end(start_date=start_date, working_days=working_days)
        publicity = Publicity.objects.create(
            call=call,
            starts_on=start_date,
            ends_on=ends_on,
            working_days=working_days,
            contact=contact,
            created_by=by,
        )
        now = timezone.now()
        updated = Award.objects.filter(pk__in=[a.pk for a in awards], status=AwardStatus.APPROVED).update(
            status=AwardStatus.ANNOUNCED, updated_at=now
        )
        if updated != len(awards):
            raise PublicityError(_("The awards changed meanwhile; reload and try again."), "conflict")
        for award in awards:
            award.status = AwardStatus.ANNOUNCED
            audit_record(
                actor=by,
                action="award.announce",
                obj=award,
                from_state=AwardStatus.APPROVED,
                to_state=AwardStatus.ANNOUNCED,
                data={"publicity": publicity.pk},
            )
        audit_record(
            actor=by,
            action="publicity.start",
            obj=publicity,
            to_state=PublicityStatus.OPEN,
            data={
                "call": call.pk,
                "starts_on": start_date.isoformat(),
                "ends_on": ends_on.isoformat(),
                "working_days": working_days,
                "awards": len(awards),
            },
        )
    return publicity


# --- Objections -----------------------------------------------------------------------------


def is_open(publicity: Publicity, today: date | None = None) -> bool:
    """Objections are taken from the first to the last day of the window (Beijing dates)."""
    today = today or beijing_today()
    return publicity.status == PublicityStatus.OPEN and publicity.starts_on <= today <= publicity.ends_on


def objection_file(
    *,
    publicity: Publicity,
    award: Award,
    name: Any,
    unit: Any,
    phone: Any,
    email: Any,
    text: Any,
    attachment: Any = None,
    ip: str | None = None,
    today: date | None = None,
) -> Objection:
    """File a real-name objection to one announced award of ``publicity`` while it is open.
    The award becomes objected; the objector is emailed a receipt with the reference."""
    cleaned = clean_objection(
        name=name, unit=unit, phone=phone, email=email, text=text, attachment=attachment
    )
    if award.call_id != publicity.call_id:
        raise PublicityError(_("This project is not in this announcement."), "not_announced", "award")
    with transaction.atomic():
        publicity = (
            Publicity.objects.select_for_update(of=("self",)).select_related("call").get(pk=publicity.pk)
        )
        if not is_open(publicity, today):
            raise PublicityError(
                _("Objections are taken from %(start)s to %(end)s only.")
                % {"start": publicity.starts_on.isoformat(), "end": publicity.ends_on.isoformat()},
                "not_open",
            )
        award = Award.objects.select_for_update(of=("self",)).select_related("application").get(pk=award.pk)
        if award.status not in OBJECTABLE:
            raise PublicityError(
                _("This project is not (or no longer) in the announcement."), "not_announced", "award"
            )
        objection = Objection(
            publicity=publicity,
            award=award,
            token=secrets.token_hex(10).upper(),
            ip=_valid_ip(ip),
            **{key: cleaned[key] for key in ("name", "unit", "phone", "email", "text")},
        )
        if attachment:
            attachment.seek(0)
            # The storage key is the random token (objection_path), never the uploader's name.
            objection.attachment.save("objection.pdf", File(attachment), save=False)
        objection.save()
        if award.status == AwardStatus.ANNOUNCED:
            Award.objects.filter(pk=award.pk).update(status=AwardStatus.OBJECTED, updated_at=timezone.now())
            audit_record(
                actor=None,
                action="award.object",
                obj=award,
                from_state=AwardStatus.ANNOUNCED,
                to_state=AwardStatus.OBJECTED,
                data={"objection": objection.pk},
            )
            award.status = AwardStatus.OBJECTED
        audit_record(
            actor=None,
            action="objection.file",
            obj=objection,
            to_state=ObjectionStatus.OPEN,
            data={"award": award.pk, "publicity": publicity.pk, "attachment": bool(attachment)},
        )
        _email_objector(objection, "received")
    return objection


def objection_resolve(*, objection: Objection, decision: Any, reason: Any, by: Any) -> Objection:
    """Uphold (the award is withdrawn and its application not funded) or dismiss (the award
    is announced again when no other objection to it is open) an open objection, with a reason
    that the objector is emailed."""
    from reviews.services.awards import AwardError, award_withdraw

    call = objection.publicity.call
    _require(can_resolve_objection(by, objection))
    if decision not in (ObjectionStatus.UPHELD, ObjectionStatus.DISMISSED):
        raise PublicityError(_("Choose to uphold or to dismiss the objection."), "invalid", "decision")
    try:
        reason = clean_text(reason, max_length=MAX_REASON)
    except ValidationError as error:
        raise PublicityError(error.messages[0], "invalid", "reason") from error
    if not reason:
        raise PublicityError(
            _("Give the reason of the decision: the person who objected reads it."), "invalid", "reason"
        )
    with transaction.atomic():
        FundingCall.objects.select_for_update().get(pk=call.pk)
        Publicity.objects.select_for_update().get(pk=objection.publicity_id)
        objection = (
            Objection.objects.select_for_update(of=("self",))
            .select_related("publicity__call")
            .get(pk=objection.pk)
        )
        if objection.status != ObjectionStatus.OPEN:
            raise PublicityError(
                _("This objection has already been decided (%(status)s).")
                % {"status": objection.get_status_display()},
                "decided",
            )
        award = (
            Award.objects.select_for_update(of=("self",))
            .select_related("application")
            .get(pk=objection.award_id)
        )
        before = award.status
        others_open = (
            Objection.objects.filter(award=award, status=ObjectionStatus.OPEN)
            .exclude(pk=objection.pk)
            .exists()
        )
        if decision == ObjectionStatus.UPHELD and award.status in OBJECTABLE:
            try:
                award = award_withdraw(award=award, by=by, reason=reason, objection_upheld=True)
            except AwardError as error:
                raise PublicityError(error.message, "conflict") from error
            application = Application.objects.get(pk=award.application_id)
            if application.status in (ApplicationStatus.SHORTLISTED, ApplicationStatus.REVIEWED):
                try:
                    transition(application=application, action="not_fund", by=by, reason=reason)
                except TransitionError as error:
                    raise PublicityError(error.message, "conflict") from error
        elif (
            decision == ObjectionStatus.DISMISSED and award.status == AwardStatus.OBJECTED and not others_open
        ):
            Award.objects.filter(pk=award.pk).update(status=AwardStatus.ANNOUNCED, updated_at=timezone.now())
            audit_record(
                actor=by,
                action="award.announce",
                obj=award,
                from_state=AwardStatus.OBJECTED,
                to_state=AwardStatus.ANNOUNCED,
                reason=reason,
                data={"objection": objection.pk},
            )
        _record_decision(objection, decision, reason, by, {"award": award.pk, "award_before": before})
        if decision == ObjectionStatus.UPHELD and award.status == AwardStatus.WITHDRAWN:
            # The other objections to the withdrawn award have nothing left to decide: they are
            # upheld with it, so that they do not hold up the closing of the announcement.
            others = Objection.objects.filter(award=award, status=ObjectionStatus.OPEN)
            for other in others.select_for_update(of=("self",)):
                _record_decision(other, decision, reason, by, {"award": award.pk, "with": objection.pk})
    return objection


def _record_decision(objection: Objection, decision: str, reason: str, by: Any, data: dict) -> None:
    """Write the decision on an open objection (locked by the caller), audit it, and email the
    person who filed it after commit."""
    objection.status = decision
    objection.resolution = reason
    objection.resolved_by = by
    objection.resolved_at = timezone.now()
    objection.save(update_fields=["status", "resolution", "resolved_by", "resolved_at"])
    audit_record(
        actor=by,
        action="objection.resolve",
        obj=objection,
        from_state=ObjectionStatus.OPEN,
        to_state=decision,
        reason=reason,
        data=data,
    )
    _email_objector(objection, "decided")


def _email_objector(objection: Objection, kind: str) -> None:
    """The receipt or the decision, in Chinese with English below (an address has no
    language), queued now and sent after commit."""
    award = objection.award
    call = objection.publicity.call
    link = settings.PORTAL_BASE_URL + reverse("public:announcement", args=[call.pk])
    subjects, parts = [], []
    for language in ("zh-hans", "en"):
        with translation.override(language):
            context = {
                "objection": objection,
                "project": award.application.title,
                "reference": award.application.reference,
                "call": call.title,
                "decision": objection.get_status_display(),
                "upheld": objection.status == ObjectionStatus.UPHELD,
                "link": link,
            }
            subjects.append(render_to_string(f"reviews/email/objection_{kind}_subject.txt", context).strip())
            parts.append(render_to_string(f"reviews/email/objection_{kind}_body.txt", context).strip())
    email_queue(
        to=objection.email,
        subject=" / ".join(subjects),
        body="\n\n----------\n\n".join(parts),
        kind=f"objection_{kind}",
    )


# --- Closing ----------------------------------------------------------------------------------


def publicity_close(*, publicity: Publicity, by: Any = None, today: date | None = None) -> Publicity:
    """Close the announcement after its last day with no open objection: announced awards
    become final (their applications funded), the call's shortlisted and reviewed applications
    without a live award are not funded. ``by=None`` is the portal's own sweep."""
    call = publicity.call
    if by is not None:
        _require(can_run_publicity(by, call))
    today = today or beijing_today()
    with transaction.atomic():
        FundingCall.objects.select_for_update().get(pk=call.pk)
        publicity = (
            Publicity.objects.select_for_update(of=("self",)).select_related("call").get(pk=publicity.pk)
        )
        if publicity.status != PublicityStatus.OPEN:
            raise PublicityError(_("The announcement is already closed."), "decided")
        if today <= publicity.ends_on:
            raise PublicityError(
                _("The announcement runs until %(end)s; it can be closed from the next day on.")
                % {"end": publicity.ends_on.isoformat()},
                "before_end",
            )
        open_objections = list(
            publicity.objections.filter(status=ObjectionStatus.OPEN)
            .select_related("award__application__call")
            .order_by("created_at", "pk")
        )
        if open_objections:
            raise PublicityError(
                _("Decide the open objections first: %(objections)s.")
                % {"objections": _named([f"{o.token} ({_award_name(o.award)})" for o in open_objections])},
                "open_objections",
            )
        awards = list(
            Award.objects.select_for_update(of=("self",))
            .filter(call=publicity.call, status=AwardStatus.ANNOUNCED)
            .select_related("application__call")
            .order_by("pk")
        )
        now = timezone.now()
        Award.objects.filter(pk__in=[a.pk for a in awards]).update(
            status=AwardStatus.FINAL, final_at=now, updated_at=now
        )
        try:
            for award in awards:
                award.status, award.final_at = AwardStatus.FINAL, now
                audit_record(
                    actor=by,
                    action="award.final",
                    obj=award,
                    from_state=AwardStatus.ANNOUNCED,
                    to_state=AwardStatus.FINAL,
                    data={"publicity": publicity.pk},
                )
                if award.application.status == ApplicationStatus.SHORTLISTED:
                    transition(application=award.application, action="fund", by=by)
            without_award = (
                Application.objects.filter(
                    call=publicity.call,
                    status__in=(ApplicationStatus.SHORTLISTED, ApplicationStatus.REVIEWED),
                )
                .exclude(award__status__in=LIVE_AWARD_STATUSES)
                .select_related("call")
                .order_by("pk")
            )
            not_funded = 0
            for application in without_award:
                transition(application=application, action="not_fund", by=by)
                not_funded += 1
        except TransitionError as error:
            raise PublicityError(error.message, "conflict") from error
        publicity.status = PublicityStatus.CLOSED
        publicity.closed_at = now
        publicity.save(update_fields=["status", "closed_at"])
        audit_record(
            actor=by,
            action="publicity.close",
            obj=publicity,
            from_state=PublicityStatus.OPEN,
            to_state=PublicityStatus.CLOSED,
            data={"final": len(awards), "not_funded": not_funded, "by_sweep": by is None},
        )
    return publicity


def publicities_close_due(today: date | None = None) -> int:
    """The beat sweep: close every open announcement past its last day with no open objection.
    Returns how many were closed; one that cannot be closed is logged and left for staff."""
    today = today or beijing_today()
    due = (
        Publicity.objects.filter(status=PublicityStatus.OPEN, ends_on__lt=today)
        .exclude(objections__status=ObjectionStatus.OPEN)
        .select_related("call")
        .order_by("ends_on", "pk")
    )
    closed = 0
    for publicity in due:
        try:
            publicity_close(publicity=publicity, by=None, today=today)
        except PublicityError as error:
            logger.warning("publicity %s not closed: %s", publicity.pk, error.message)
            continue
        closed += 1
    return closed
