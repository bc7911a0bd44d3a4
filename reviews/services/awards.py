"""The joint decision: shortlisting, awards within quotas, budgets and the cap, their joint
approval by one staff member of each bureau, and withdrawal.

Every writer locks the call's row first (``FundingCall.objects.select_for_update()``), then
the award's, so that two staff members, two tabs or fifty simultaneous requests are applied
one after the other; it checks the field's quota, each paying province's budget and the
project's cap against the call's counters as they stand under the lock, and then moves the
counters — both with ``reviews.services.award_amounts``, which also reads the amounts given
(their forms are described there). Refusals are ``AwardError`` with a stable code
(``reviews.services.award_errors``). The suggested set of awards is
``reviews.services.award_suggestions``.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications.models import Application, ApplicationStatus, CallField, FundingCall
from applications.workflow import TransitionError, transition
from portal.accounts.roles import Role
from portal.audit.services import audit_record
from portal.choices import Province
from portal.fields import clean_text
from reviews.models import EDITABLE_AWARD_STATUSES, LIVE_AWARD_STATUSES, Award, AwardShare, AwardStatus
from reviews.permissions import can_manage_review
from reviews.selectors.awards import PROVINCES, province_totals
from reviews.services.award_amounts import (
    ZERO,
    _check_cap,
    _check_room,
    _current_shares,
    _fresh_application,
    _move_counters,
    _province_label,
    _safe_key,
    _score_of,
    _shares_data,
    _write_shares,
    award_basis,
    parse_amounts,
)
from reviews.services.award_errors import AwardError

S = ApplicationStatus
MAX_REASON = 2000
# Approvals still to give: the award's status before each province approves.
APPROVABLE = (AwardStatus.PROPOSED, AwardStatus.APPROVED_SC, AwardStatus.APPROVED_CQ)


# --- Small helpers ------------------------------------------------------------------------------


def _require_staff(by: Any) -> None:
    """``by=None`` is the portal itself (``seed_demo``, a task); people must organise the review."""
    if by is None:
        return
    allowed, reason = can_manage_review(by)
    if not allowed:
        raise AwardError(reason, code="not_allowed")


def _lock_call(call_id: int) -> FundingCall:
    return FundingCall.objects.select_for_update().get(pk=call_id)


def _refuse_after_announcement(call: FundingCall) -> None:
    from reviews.models import Publicity

    if Publicity.objects.filter(call=call).exists():
        raise AwardError(
            _(
                "The public announcement of this call has started: the shortlist and the awards can no "
                "longer be changed (except by resolving an objection)."
            ),
            code="state",
        )


def _application_label(application: Application) -> str:
    return f"{application.reference} {application}"


# --- Shortlist ----------------------------------------------------------------------------------


def _ids(values: Any) -> list[int]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise AwardError(_("Give a list of application ids."), field="applications", code="applications")
    ids: list[int] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise AwardError(
                _("Application ids are whole numbers."), field="applications", code="applications"
            )
        text = str(value)
        if not (text.isascii() and text.isdigit() and len(text) < 19):
            raise AwardError(
                _("Application ids are whole numbers."), field="applications", code="applications"
            )
        if int(text) not in ids:
            ids.append(int(text))
    return ids


def applications_shortlist(
    *, call: FundingCall, applications: Iterable[Any], shortlisted: bool, by: Any
) -> list[Application]:
    """Put the reviewed ``applications`` (ids) of ``call`` on the shortlist, or take shortlisted
    ones off it (refused while one has a live award). All or nothing; one already where it
    should be is left as it is. Returns the applications that moved (the workflow audits each
    move as ``application.shortlist`` / ``application.unshortlist``)."""
    _require_staff(by)
    ids = _ids(applications)
    if not ids:
        raise AwardError(_("Choose at least one application."), field="applications", code="required")
    action, source, target = (
        ("shortlist", S.REVIEWED, S.SHORTLISTED)
        if shortlisted
        else ("unshortlist", S.SHORTLISTED, S.REVIEWED)
    )
    moved = []
    with transaction.atomic():
        call = _lock_call(call.pk)
        _refuse_after_announcement(call)
        found = {
            a.pk: a
            for a in Application.objects.select_for_update(of=("self",))
            .select_related("call")
            .filter(call=call, pk__in=ids)
        }
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise AwardError(
                _("Not applications of this call: %(ids)s.") % {"ids": ", ".join(missing)},
                field="applications",
                code="applications",
            )
        live = set(
            Award.objects.filter(application_id__in=ids, status__in=LIVE_AWARD_STATUSES).values_list(
                "application_id", flat=True
            )
        )
        for pk in ids:
            application = found[pk]
            if application.status == target:
                continue
            if application.status != source:
                raise AwardError(
                    _("%(application)s is “%(status)s”: only reviewed applications can be shortlisted.")
                    % {
                        "application": _application_label(application),
                        "status": application.get_status_display(),
                    }
                    if shortlisted
                    else _("%(application)s is “%(status)s”, not on the shortlist.")
                    % {
                        "application": _application_label(application),
                        "status": application.get_status_display(),
                    },
                    field="applications",
                    code="state",
                )
            if not shortlisted and pk in live:
                raise AwardError(
                    _("%(application)s has an award: withdraw the award before taking it off the shortlist.")
                    % {"application": _application_label(application)},
                    field="applications",
                    code="state",
                )
            try:
                moved.append(transition(application=application, action=action, by=by))
            except TransitionError as error:
                raise AwardError(error.message, field="applications", code="state") from error
    return moved


# --- Awards -------------------------------------------------------------------------------------


def award_create(
    *,
    application: Application,
    by: Any,
    amounts: Any = None,
    score: Decimal | None = None,
    suggested: bool = False,
) -> Award:
    """Propose an award for a shortlisted application (see ``reviews.services.award_amounts``
    for ``amounts``). A withdrawn award of the application is proposed again (one award row per
    application). Checked against the cap, the field's quota and each province's budget."""
    _require_staff(by)
    if score is None:
        # Read before the lock: the ranking does not depend on the awards, and the lock is
        # held by every award writer of the call.
        score = _score_of(application, application.call)
    with transaction.atomic():
        call = _lock_call(application.call_id)
        _refuse_after_announcement(call)
        application = _fresh_application(application.pk)
        if application.status != S.SHORTLISTED:
            raise AwardError(
                _("%(application)s is “%(status)s”: only shortlisted applications get awards.")
                % {
                    "application": _application_label(application),
                    "status": application.get_status_display(),
                },
                field="application",
                code="state",
            )
        if application.guide_task is None:
            raise AwardError(
                _("%(application)s has no guide task, so no field and no quota.")
                % {"application": _application_label(application)},
                field="application",
                code="state",
            )
        existing = Award.objects.select_for_update().filter(application=application).first()
        if existing is not None and existing.status != AwardStatus.WITHDRAWN:
            raise AwardError(
                _("%(application)s already has an award; change that one instead.")
                % {"application": _application_label(application)},
                field="application",
                code="exists",
            )
        basis = award_basis(application, call)
        shares = parse_amounts(
            amounts, call=call, units=basis.units, requested=basis.requested, cap=basis.cap
        )
        totals = province_totals(shares)
        _check_cap(sum(totals.values(), start=ZERO), basis.cap)
        call_field = basis.call_field(call)
        _check_room(call, call_field, basis.field_label, totals, 1)
        _move_counters(call, call_field, basis.field_label, totals, 1)
        values = {
            "call": call,
            "field_id": application.guide_task.field_id,
            "amount_sc": totals[Province.SC],
            "amount_cq": totals[Province.CQ],
            "status": AwardStatus.PROPOSED,
            "score": score,
            "suggested": bool(suggested),
            "approved_sc_by": None,
            "approved_sc_at": None,
            "approved_cq_by": None,
            "approved_cq_at": None,
            "withdrawn_reason": "",
            "created_by": by if getattr(by, "is_authenticated", False) else None,
        }
        if existing is None:
            award = Award.objects.create(application=application, **values)
            from_state = ""
        else:
            award = existing
            from_state = award.status
            for name, value in values.items():
                setattr(award, name, value)
            award.version += 1
            award.save()
            AwardShare.objects.filter(award=award).delete()
        _write_shares(award, shares, basis.units)
        audit_record(
            actor=by,
            action="award.create",
            obj=award,
            from_state=from_state,
            to_state=award.status,
            data={
                "application": application.pk,
                "amount_sc": str(award.amount_sc),
                "amount_cq": str(award.amount_cq),
                "shares": _shares_data(shares),
                "score": None if score is None else str(score),
                "suggested": award.suggested,
                "cap": str(basis.cap),
                "default": amounts is None,
            },
        )
    award.application = application
    return award


def _lock_award(award: Award) -> tuple[FundingCall, Award]:
    call = _lock_call(award.call_id)
    fresh = (
        Award.objects.select_for_update(of=("self",))
        .select_related(
            "application__lead_unit", "application__guide_task__field", "application__call", "field"
        )
        .get(pk=award.pk)
    )
    return call, fresh


def _check_version(award: Award, version: Any) -> None:
    if isinstance(version, bool) or str(version) != str(award.version):
        raise AwardError(
            _(
                "This award was changed meanwhile (it is now version %(now)s; you sent %(sent)s). Reload it "
                "and make your change again."
            )
            % {"now": award.version, "sent": _safe_key(version)},
            field="version",
            code="conflict",
        )


def award_update(*, award: Award, by: Any, amounts: Any, version: Any) -> Award:
    """Change the amounts and shares of an award not yet announced; ``version`` is the one read
    (a stale one is refused). A change clears both approvals (status back to proposed,
    version + 1); the same amounts again change nothing."""
    _require_staff(by)
    with transaction.atomic():
        call, award = _lock_award(award)
        if award.status not in EDITABLE_AWARD_STATUSES:
            raise AwardError(
                _("This award is “%(status)s”: it can no longer be changed.")
                % {"status": award.get_status_display()},
                code="state",
            )
        _check_version(award, version)
        _refuse_after_announcement(call)
        application = award.application
        basis = award_basis(application, call)
        shares = parse_amounts(
            amounts, call=call, units=basis.units, requested=basis.requested, cap=basis.cap
        )
        totals = province_totals(shares)
        _check_cap(sum(totals.values(), start=ZERO), basis.cap)
        before = _current_shares(award)
        if before == shares:
            return award
        delta = {
            Province.SC: totals[Province.SC] - award.amount_sc,
            Province.CQ: totals[Province.CQ] - award.amount_cq,
        }
        _check_room(call, None, basis.field_label, delta, 0)
        _move_counters(call, None, basis.field_label, delta, 0)
        source = award.status
        cleared = [p for p in PROVINCES if getattr(award, f"approved_{p.lower()}_by_id")]
        award.amount_sc, award.amount_cq = totals[Province.SC], totals[Province.CQ]
        award.status = AwardStatus.PROPOSED
        award.approved_sc_by = award.approved_cq_by = None
        award.approved_sc_at = award.approved_cq_at = None
        award.version += 1
        award.save(
            update_fields=[
                "amount_sc",
                "amount_cq",
                "status",
                "approved_sc_by",
                "approved_sc_at",
                "approved_cq_by",
                "approved_cq_at",
                "version",
                "updated_at",
            ]
        )
        AwardShare.objects.filter(award=award).delete()
        _write_shares(award, shares, basis.units)
        audit_record(
            actor=by,
            action="award.update",
            obj=award,
            from_state=source,
            to_state=award.status,
            data={
                "version": award.version,
                "before": _shares_data(before),
                "after": _shares_data(shares),
                "approvals_cleared": cleared,
            },
        )
    return award


def award_approve(*, award: Award, by: Any, version: Any = None) -> Award:
    """The approval of ``by``'s bureau (Sichuan or Chongqing staff). Both given → approved.
    ``version``, when given, must be the award's (an approval of amounts changed meanwhile is
    refused)."""
    if not getattr(by, "is_authenticated", False):
        raise AwardError(_("Sign in to approve awards."), code="not_allowed")
    if by.role == Role.ADMIN:
        raise AwardError(
            _(
                "Administrators have no province: an award is approved by one staff member of the "
                "Sichuan bureau and one of the Chongqing bureau."
            ),
            code="province",
        )
    if by.role != Role.BUREAU_STAFF:
        raise AwardError(_("Only bureau staff approve awards."), code="not_allowed")
    if by.province not in PROVINCES:
        raise AwardError(
            _("Your account has no province of the two bureaus, so you cannot approve awards."),
            code="province",
        )
    province = by.province
    with transaction.atomic():
        call, award = _lock_award(award)
        approver = getattr(award, f"approved_{province.lower()}_by")
        if approver is not None and award.status != AwardStatus.WITHDRAWN:
            raise AwardError(
                _("This award is already approved by %(province)s (%(name)s).")
                % {"province": _province_label(province), "name": approver.full_name or approver.email},
                code="already_approved",
            )
        if award.status not in APPROVABLE:
            raise AwardError(
                _("This award is “%(status)s”: there is nothing to approve.")
                % {"status": award.get_status_display()},
                code="state",
            )
        if version is not None and version != "":
            _check_version(award, version)
        source = award.status
        now = timezone.now()
        setattr(award, f"approved_{province.lower()}_by", by)
        setattr(award, f"approved_{province.lower()}_at", now)
        both = award.approved_sc_by_id is not None and award.approved_cq_by_id is not None
        award.status = (
            AwardStatus.APPROVED
            if both
            else (AwardStatus.APPROVED_SC if province == Province.SC else AwardStatus.APPROVED_CQ)
        )
        award.save(
            update_fields=[
                f"approved_{province.lower()}_by",
                f"approved_{province.lower()}_at",
                "status",
                "updated_at",
            ]
        )
        audit_record(
            actor=by,
            action="award.approve",
            obj=award,
            from_state=source,
            to_state=award.status,
            data={"province": province, "version": award.version, "call": call.pk},
        )
    return award


def award_withdraw(*, award: Award, by: Any, reason: Any, objection_upheld: bool = False) -> Award:
    """Withdraw a live award that is not final: staff before the announcement, or — only with
    ``objection_upheld`` (``reviews.services.publicity.objection_resolve``) — an announced
    award whose objection is upheld. Its quota place and funding are released. The application
    is not moved: the caller decides (back to the shortlist's choice, or not funded)."""
    _require_staff(by)
    try:
        reason = clean_text(reason, max_length=MAX_REASON)
    except ValidationError as error:
        raise AwardError(error.messages[0], field="reason", code="invalid") from error
    if not reason:
        raise AwardError(_("Give the reason for withdrawing the award."), field="reason", code="required")
    with transaction.atomic():
        call, award = _lock_award(award)
        announced = award.status in (AwardStatus.ANNOUNCED, AwardStatus.OBJECTED)
        if (
            award.status not in LIVE_AWARD_STATUSES
            or award.status == AwardStatus.FINAL
            or (announced and not objection_upheld)
        ):
            raise AwardError(
                _(
                    "This award is “%(status)s”: it cannot be withdrawn (once announced, only an upheld "
                    "objection withdraws it)."
                )
                % {"status": award.get_status_display()},
                code="state",
            )
        source = award.status
        call_field = CallField.objects.filter(call=call, field_id=award.field_id).first()
        delta = {Province.SC: -award.amount_sc, Province.CQ: -award.amount_cq}
        _move_counters(call, call_field, award.field.name, delta, -1 if call_field is not None else 0)
        award.status = AwardStatus.WITHDRAWN
        award.withdrawn_reason = reason
        award.version += 1
        award.save(update_fields=["status", "withdrawn_reason", "version", "updated_at"])
        audit_record(
            actor=by,
            action="award.withdraw",
            obj=award,
            from_state=source,
            to_state=award.status,
            reason=reason,
            data={"amount_sc": str(award.amount_sc), "amount_cq": str(award.amount_cq)},
        )
    return award
