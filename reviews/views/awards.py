"""Pages of the joint decision (review staff of both bureaus): the awards board of a call,
shortlisting from it, the suggested set of awards, an award's form and its approvals.

* ``awards_board`` shows, always at the top, each field's quota used and left and each
  province's budget used and left (the call's counters), then the candidates by field in
  ranking order with their score, request, award and approvals; boxes to tick for the
  shortlist and, per award, the approve button of the reader's bureau.
* ``shortlist`` (POST) puts the ticked applications on the shortlist or takes them off.
* ``awards_suggest`` shows the set of awards that maximises the total score within what is
  left (``reviews/award_suggestion.py``) and, on POST, accepts it: the applications are
  shortlisted and their awards proposed in one go, unless the suggestion changed meanwhile.
* ``award_edit`` proposes or changes the award of one application, per unit and province in
  万元 (a change clears the approvals), or withdraws it, with the rules shown beside.
* ``award_approve`` (POST) is one bureau's approval.

Everything is done by ``reviews.services.awards`` (the suggestion by
``reviews.services.award_suggestions``); a refusal re-renders the page with the
service's message (400 for bad input, 403 for who may not, 409 when the state forbids it).
Anyone who is not review staff gets 403 on a call's pages and 404 for an award or an
application's award form, as for an unknown id.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from applications.forms.budget import parse_wan
from applications.models import Application, FundingCall
from applications.selectors import call_get_for_user
from applications.workflow import STATES
from portal.choices import JOINT_PROVINCES, Province
from reviews.models import LIVE_AWARD_STATUSES, Award, AwardStatus, Publicity
from reviews.permissions import can_approve_award, can_edit_award, require_review_staff
from reviews.selectors import awards as selectors
from reviews.selectors.awards import AwardsBoard, BoardRow, approvals_of, province_usage
from reviews.services import award_suggestions
from reviews.services import awards as services
from reviews.services.award_amounts import TOTAL_KEY, award_basis
from reviews.services.award_errors import AwardError, http_status
from reviews.services.awards import MAX_REASON

PROVINCES = tuple(str(p.value) for p in JOINT_PROVINCES)


def _announced(call: FundingCall) -> bool:
    return Publicity.objects.filter(call=call).exists()


# --- The board ----------------------------------------------------------------------------------


def _board_context(request: HttpRequest, call: FundingCall, board: AwardsBoard) -> dict[str, Any]:
    user = request.user
    announced = _announced(call)
    groups = []
    for group in board.groups:
        items = []
        for row in group.rows:
            items.append(_board_item(user, row, announced))
        groups.append({"group": group, "items": items})
    return {
        "call": call,
        "board": board,
        "groups": groups,
        "announced": announced,
        "counts": board.counts,
        "selectable": any(item["row"].selectable for g in groups for item in g["items"]) and not announced,
        "board_url": reverse("reviews:awards", args=[call.pk]),
    }


def _board_item(user: Any, row: BoardRow, announced: bool) -> dict[str, Any]:
    award = row.award
    approve = None
    if award is not None and award.status in LIVE_AWARD_STATUSES:
        allowed, reason = can_approve_award(user, award)
        approve = {"allowed": allowed, "reason": reason, "approvals": approvals_of(award)}
    status = row.application.status
    return {
        "row": row,
        "status_label": STATES[status].staff_label if status in STATES else status,
        "award": award,
        "approve": approve,
        "can_propose": not announced
        and status == "shortlisted"
        and (award is None or award.status == AwardStatus.WITHDRAWN),
        "can_edit": award is not None and can_edit_award(user, award)[0] and not announced,
    }


def _render_board(
    request: HttpRequest, call: FundingCall, *, error: str = "", status: int = 200
) -> HttpResponse:
    board = selectors.awards_board(call=call)
    context = _board_context(request, call, board)
    context["error"] = error
    return render(request, "reviews/awards.html", context, status=status)


@require_http_methods(["GET"])
@login_required
def awards_board(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = call_get_for_user(user=request.user, pk=call_pk)
    require_review_staff(request.user, call)
    return _render_board(request, call)


@require_POST
@login_required
def shortlist(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = call_get_for_user(user=request.user, pk=call_pk)
    require_review_staff(request.user, call)
    choice = request.POST.get("shortlisted")
    if choice not in ("1", "0"):
        return _render_board(
            request, call, error=_("Choose whether to shortlist or to take off the shortlist."), status=400
        )
    try:
        moved = services.applications_shortlist(
            call=call,
            applications=request.POST.getlist("applications"),
            shortlisted=choice == "1",
            by=request.user,
        )
    except AwardError as error:
        return _render_board(request, call, error=error.message, status=http_status(error.code))
    if choice == "1":
        text = ngettext(
            "%(count)d application shortlisted.", "%(count)d applications shortlisted.", len(moved)
        ) % {"count": len(moved)}
    else:
        text = ngettext(
            "%(count)d application taken off the shortlist.",
            "%(count)d applications taken off the shortlist.",
            len(moved),
        ) % {"count": len(moved)}
    messages.success(request, text)
    return redirect("reviews:awards", call.pk)


# --- The suggestion ---------------------------------------------------------------------------


def _chosen_text(ids: tuple[int, ...] | list[int]) -> str:
    return ",".join(str(i) for i in ids)


def _parse_chosen(text: str) -> list[int] | None:
    parts = [part for part in (text or "").split(",") if part]
    if not all(part.isascii() and part.isdigit() and len(part) < 19 for part in parts):
        return None
    return [int(part) for part in parts]


@require_http_methods(["GET", "POST"])
@login_required
def awards_suggest(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = call_get_for_user(user=request.user, pk=call_pk)
    require_review_staff(request.user, call)
    error, status = "", 200
    if request.method == "POST":
        expected = _parse_chosen(request.POST.get("chosen", ""))
        if expected is None:
            error, status = _("The suggestion sent back is not valid; review it again."), 400
        else:
            try:
                result = award_suggestions.awards_suggest(
                    call=call, by=request.user, apply=True, expected=expected
                )
            except AwardError as refused:
                error, status = refused.message, http_status(refused.code)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d award proposed from the suggestion; each needs the approval of both bureaus.",
                        "%(count)d awards proposed from the suggestion; each needs the approval of both bureaus.",
                        len(result.created),
                    )
                    % {"count": len(result.created)},
                )
                return redirect("reviews:awards", call.pk)
    result = award_suggestions.awards_suggest(call=call, by=request.user, apply=False)
    by_field: dict[str, dict[str, Any]] = {}
    for item in result.proposed:
        research_field = item.application.guide_task.field
        entry = by_field.setdefault(
            research_field.code,
            {"field": research_field, "items": [], "left": result.quotas_left.get(research_field.code, 0)},
        )
        entry["items"].append(item)
    after = {
        "SC": result.budgets_left[Province.SC] - result.amount_sc,
        "CQ": result.budgets_left[Province.CQ] - result.amount_cq,
    }
    unfit_labels = {
        "quota": _("no place left in its field"),
        "budget_sc": _("needs more than Sichuan has left"),
        "budget_cq": _("needs more than Chongqing has left"),
        "cross_funding": _("its request has a side paying a unit of the other province"),
        "no_request": _("it requests no government funding"),
        "no_score": _("no submitted review, so no score"),
    }
    context = {
        "call": call,
        "result": result,
        "groups": list(by_field.values()),
        "fields": selectors.field_usage(call),
        "provinces": province_usage(call),
        "budgets": [
            {
                "label": str(p.label),
                "left": result.budgets_left[p],
                "proposed": result.amount_sc if p == Province.SC else result.amount_cq,
                "after": after[p.value],
            }
            for p in JOINT_PROVINCES
        ],
        "unfit": [(application, unfit_labels.get(code, code)) for application, code in result.unfit],
        "chosen": _chosen_text(result.solution.chosen),
        "announced": _announced(call),
        "error": error,
    }
    return render(request, "reviews/awards_suggest.html", context, status=status)


# --- One award ----------------------------------------------------------------------------------


def _field_name(province: str, key: str) -> str:
    return f"{province}-{key}"


def _units_for_form(
    call: FundingCall, basis: Any, shares: dict[tuple[str, str], Decimal]
) -> list[dict[str, Any]]:
    """Per paying province, the units it may pay (its own, or all when the call allows cross
    funding, and any unit an existing share pays), with the requested and current amounts."""
    provinces = []
    for p in JOINT_PROVINCES:
        province = str(p.value)
        units = []
        for unit in basis.units:
            paid = (province, unit.uscc) in shares
            if not (unit.own_for(province) or call.cross_funding_allowed or paid):
                continue
            units.append(
                {
                    "unit": unit,
                    "name": _field_name(province, unit.uscc),
                    "requested": basis.requested.get((province, unit.uscc), Decimal(0)),
                    "amount": shares.get((province, unit.uscc)),
                    "own": unit.own_for(province),
                }
            )
        provinces.append(
            {
                "province": province,
                "label": str(p.label),
                "units": units,
                "total_name": _field_name(province, TOTAL_KEY),
            }
        )
    return provinces


def _wan_text(yuan: Decimal | None) -> str:
    if yuan is None:
        return ""
    return f"{(yuan / Decimal(10000)).quantize(Decimal('0.000001')).normalize():f}"


def _typed_amounts(post: Any, provinces: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, str]]:
    """The amounts typed in 万元 as the service's per-unit yuan amounts, and per-input errors."""
    amounts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for entry in provinces:
        province = entry["province"]
        per_unit: dict[str, Any] = {}
        for unit in entry["units"]:
            text = post.get(unit["name"], "").strip()
            if not text:
                continue
            yuan, rule = parse_wan(text)
            if yuan is None:
                errors[unit["name"]] = rule
            else:
                per_unit[unit["unit"].uscc] = yuan
        total_text = post.get(entry["total_name"], "").strip()
        if total_text:
            yuan, rule = parse_wan(total_text)
            if yuan is None:
                errors[entry["total_name"]] = rule
            else:
                per_unit[TOTAL_KEY] = yuan
        amounts[province] = per_unit
    return amounts, errors


def _input_of(error: AwardError) -> str:
    """The form input an error of the service names (``amounts.SC.<uscc>`` → ``SC-<uscc>``)."""
    parts = error.field.split(".")
    if parts[0] == "amounts" and len(parts) == 3:
        return _field_name(parts[1], parts[2])
    if parts[0] == "amounts" and len(parts) == 2 and parts[1] in PROVINCES:
        return _field_name(parts[1], TOTAL_KEY)
    return ""


def _rules(call: FundingCall, application: Application, basis: Any) -> dict[str, Any]:
    call_field = basis.call_field(call)
    return {
        "cap": basis.cap,
        "call_cap": call.per_project_cap,
        "field": basis.field_label,
        "quota": call_field.quota if call_field else 0,
        "quota_used": call_field.awarded if call_field else 0,
        "quota_left": max(call_field.quota - call_field.awarded, 0) if call_field else 0,
        "provinces": province_usage(call),
        "cross_funding_allowed": call.cross_funding_allowed,
        "requested_total": sum(basis.requested.values(), start=Decimal(0)),
    }


@require_http_methods(["GET", "POST"])
@login_required
def award_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_for_award(user=request.user, pk=pk)
    call = application.call
    award = selectors.award_of_application(application)
    live = award is not None and award.status in LIVE_AWARD_STATUSES
    basis = award_basis(application, call)
    if live:
        shares = {(s.province, s.unit_uscc): s.amount for s in award.shares.all()}
    else:
        shares = selectors.default_shares(basis.requested, basis.cap)
    provinces = _units_for_form(call, basis, shares)
    announced = _announced(call)
    editable = (award is None or not live or can_edit_award(request.user, award)[0]) and not announced
    can_create = application.status == "shortlisted" and not announced
    errors: dict[str, str] = {}
    error = ""
    status = 200
    typed: dict[str, str] = {}

    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "withdraw":
            return _withdraw(request, application, award)
        typed = {
            key: request.POST.get(key, "") for key in request.POST if key not in ("csrfmiddlewaretoken",)
        }
        amounts, errors = _typed_amounts(request.POST, provinces)
        if errors:
            error, status = _("Some amounts are not valid; see the marked fields."), 400
        else:
            try:
                if live:
                    award = services.award_update(
                        award=award, by=request.user, amounts=amounts, version=request.POST.get("version", "")
                    )
                    messages.success(
                        request,
                        _(
                            "The award of %(reference)s was saved; it needs the approval of both bureaus again."
                        )
                        % {"reference": application.reference},
                    )
                else:
                    award = services.award_create(application=application, by=request.user, amounts=amounts)
                    messages.success(
                        request,
                        _("An award was proposed for %(reference)s; it needs the approval of both bureaus.")
                        % {"reference": application.reference},
                    )
            except AwardError as refused:
                error, status = refused.message, http_status(refused.code)
                name = _input_of(refused)
                if name:
                    errors[name] = refused.message
                if refused.code == "not_allowed":
                    raise PermissionDenied(refused.message) from refused
            else:
                return redirect(reverse("reviews:awards", args=[call.pk]) + f"#application-{application.pk}")

    for entry in provinces:
        for unit in entry["units"]:
            unit["value"] = (
                typed.get(unit["name"], _wan_text(unit["amount"])) if typed else _wan_text(unit["amount"])
            )
            unit["error"] = errors.get(unit["name"], "")
        entry["total_value"] = typed.get(entry["total_name"], "")
        entry["total_error"] = errors.get(entry["total_name"], "")
    approve = None
    if live:
        allowed, reason = can_approve_award(request.user, award)
        approve = {"allowed": allowed, "reason": reason, "approvals": approvals_of(award)}
    context = {
        "call": call,
        "application": application,
        "status_label": STATES[application.status].staff_label,
        "award": award,
        "live": live,
        "editable": editable and (live or can_create),
        "can_withdraw": live and editable,
        "announced": announced,
        "provinces": provinces,
        "rules": _rules(call, application, basis),
        "approve": approve,
        "error": error,
        "max_reason": MAX_REASON,
        "version": award.version if live else "",
    }
    return render(request, "reviews/award_edit.html", context, status=status)


def _withdraw(request: HttpRequest, application: Application, award: Award | None) -> HttpResponse:
    call = application.call
    if award is None:
        return redirect("reviews:award_edit", application.pk)
    reason = request.POST.get("reason", "")
    allowed, why = can_edit_award(request.user, award)
    if not allowed:
        messages.error(request, why)
        return redirect("reviews:award_edit", application.pk)
    try:
        services.award_withdraw(award=award, by=request.user, reason=reason)
    except AwardError as refused:
        if refused.code == "not_allowed":
            raise PermissionDenied(refused.message) from refused
        messages.error(request, refused.message)
        return redirect("reviews:award_edit", application.pk)
    messages.success(
        request,
        _("The award of %(reference)s was withdrawn; its quota place and funding are free again.")
        % {"reference": application.reference},
    )
    return redirect("reviews:awards", call.pk)


@require_POST
@login_required
def award_approve(request: HttpRequest, pk: int) -> HttpResponse:
    award = selectors.award_get_for_user(user=request.user, pk=pk)
    call = award.application.call
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = ""
    try:
        award = services.award_approve(
            award=award, by=request.user, version=request.POST.get("version") or None
        )
    except AwardError as refused:
        if http_status(refused.code) == 403:
            raise PermissionDenied(refused.message) from refused
        return _render_board(request, call, error=refused.message, status=http_status(refused.code))
    if award.status == AwardStatus.APPROVED:
        text = _("%(reference)s is approved by both bureaus and ready for the public announcement.")
    else:
        text = _("Your bureau's approval of %(reference)s is recorded; the other bureau's is still needed.")
    messages.success(request, text % {"reference": award.application.reference})
    return redirect(
        target or reverse("reviews:awards", args=[call.pk]) + f"#application-{award.application_id}"
    )
