"""The amounts of an award and the rules they meet: what staff give, read and checked; the
project's cap, the field's quota and each province's budget checked against the call's
counters; the counters moved; and what an award of one application is made of (its units,
request and cap; its shares as stored).

The award services (``reviews.services.awards``) call these under the call's row lock. A
refusal names the rule and the figures (in 万元). The counters (``FundingCall.awarded_sc`` /
``awarded_cq``, ``CallField.awarded``) are moved with F() expressions; the CHECK constraints
on them are the last line: an IntegrityError (a writer that bypassed the lock) is turned into
the same clear refusal.

An award's amounts are given as ``{"SC": total, "CQ": total}`` — each side then pays its own
units, in proportion to what they requested (the lead unit when none did) — or per unit as
``{"SC": {"<uscc>": amount, …}, "CQ": {…}}``, optionally with ``"total"`` beside the units as
a check of their sum. Amounts are yuan: Decimal, int or a decimal string. ``None`` gives the
default: the government funding the application requested per side and unit (its budget
lines), scaled down to the cap if above it.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from applications.models import Application, BudgetLine, CallField, FundingCall, Partner
from portal.choices import Province
from portal.templatetags.portal_tags import wan_yuan
from reviews.award_suggestion import apportion
from reviews.models import Award, AwardShare
from reviews.selectors.awards import (
    GOVERNMENT_SOURCES,
    PROVINCES,
    Unit,
    cap_of,
    default_shares,
    requested_of,
    units_of,
)
from reviews.selectors.ranking import ranking_of_call
from reviews.services.award_errors import AwardError

logger = logging.getLogger(__name__)

CENT = Decimal("0.01")
ZERO = Decimal(0)
# The model's MONEY: 14 digits, 2 of them decimals.
MAX_AMOUNT = Decimal("999999999999.99")
TOTAL_KEY = "total"

Shares = dict[tuple[str, str], Decimal]


def _province_label(code: str) -> str:
    return str(Province(code).label)


# --- Amounts ------------------------------------------------------------------------------------


def _amount(value: Any, field: str) -> Decimal:
    """One amount in yuan from a Decimal, an int or a decimal string (a JSON number too)."""
    if isinstance(value, bool) or value is None:
        raise AwardError(_("Give an amount in yuan, such as 500000.00."), field=field, code="invalid")
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        try:
            number = Decimal(text) if text.isascii() and text else Decimal("NaN")
        except InvalidOperation:
            number = Decimal("NaN")
    elif isinstance(value, Decimal | int):
        number = Decimal(value)
    else:
        raise AwardError(_("Give an amount in yuan, such as 500000.00."), field=field, code="invalid")
    if not number.is_finite():
        raise AwardError(
            _("This is not a number: give an amount in yuan, such as 500000.00."), field=field, code="invalid"
        )
    if number < 0:
        raise AwardError(_("An amount may not be negative."), field=field, code="invalid")
    if number > MAX_AMOUNT:
        raise AwardError(_("At most 999,999,999,999.99 yuan in an amount."), field=field, code="invalid")
    if number != number.quantize(CENT):
        raise AwardError(_("At most two decimals (fen) in an amount in yuan."), field=field, code="invalid")
    return number.quantize(CENT)


def _safe_key(key: Any) -> str:
    """A key of the input as it may appear in a field path (no control characters)."""
    text = str(key)
    return text if text.isprintable() and len(text) <= 40 else "?"


def _split_total(province: str, total: Decimal, units: list[Unit], requested: Shares, field: str) -> Shares:
    """A province's total paid to its own units, in proportion to what they requested (all to
    the first own unit — the lead unit when it is one — when none requested anything)."""
    if not total:
        return {}
    own = [unit for unit in units if unit.own_for(province)]
    if not own:
        raise AwardError(
            _(
                "%(province)s has no unit of its own in this project: give the amounts per unit "
                "(and the call must allow a side to fund units of the other province)."
            )
            % {"province": _province_label(province)},
            field=field,
            code="cross_funding",
        )
    weights = {unit.uscc: requested.get((province, unit.uscc), ZERO) for unit in own}
    if not any(weights.values()):
        weights = {own[0].uscc: Decimal(1)}
    return {(province, uscc): amount for uscc, amount in apportion(total, weights).items() if amount}


def parse_amounts(
    amounts: Any, *, call: FundingCall, units: list[Unit], requested: Shares, cap: Decimal
) -> Shares:
    """The shares {(province, uscc): yuan} that ``amounts`` asks for (see the module's
    docstring), checked for form, units, cross-funding and sums, not yet for the cap, quota
    or budgets. Zero amounts are left out."""
    if amounts is None:
        return default_shares(requested, cap)
    if not isinstance(amounts, Mapping):
        raise AwardError(
            _('Give the amounts as {"SC": …, "CQ": …}, per province.'), field="amounts", code="invalid"
        )
    by_uscc = {unit.uscc: unit for unit in units}
    shares: Shares = {}
    for key, value in amounts.items():
        province = str(key)
        path = f"amounts.{_safe_key(key)}"
        if province not in PROVINCES:
            raise AwardError(
                _("Unknown province “%(key)s”: the paying sides are SC (Sichuan) and CQ (Chongqing).")
                % {"key": _safe_key(key)},
                field=path,
                code="invalid",
            )
        if not isinstance(value, Mapping):
            shares.update(_split_total(province, _amount(value, path), units, requested, path))
            continue
        given_total = None
        subtotal = ZERO
        for uscc_key, unit_value in value.items():
            uscc = str(uscc_key)
            unit_path = f"{path}.{_safe_key(uscc_key)}"
            if uscc == TOTAL_KEY:
                given_total = _amount(unit_value, unit_path)
                continue
            unit = by_uscc.get(uscc)
            if unit is None:
                raise AwardError(
                    _("“%(uscc)s” is not the unified social credit code of a unit of this project.")
                    % {"uscc": _safe_key(uscc_key)},
                    field=unit_path,
                    code="unit",
                )
            amount = _amount(unit_value, unit_path)
            if amount and not unit.own_for(province) and not call.cross_funding_allowed:
                raise AwardError(
                    _(
                        "In this call each side funds only its own units: %(province)s may not pay "
                        "%(unit)s, a unit of %(other)s."
                    )
                    % {
                        "province": _province_label(province),
                        "unit": unit.name,
                        "other": _province_label(unit.province)
                        if unit.province in Province.values
                        else unit.province,
                    },
                    field=unit_path,
                    code="cross_funding",
                )
            subtotal += amount
            if amount:
                shares[(province, uscc)] = amount
        if given_total is not None and given_total != subtotal:
            raise AwardError(
                _(
                    "The amounts per unit of %(province)s add up to %(sum)s, not to the total given, "
                    "%(total)s."
                )
                % {
                    "province": _province_label(province),
                    "sum": wan_yuan(subtotal),
                    "total": wan_yuan(given_total),
                },
                field=f"{path}.{TOTAL_KEY}",
                code="shares",
            )
    return shares


# --- Rules on the call's counters ---------------------------------------------------------------


def _check_cap(total: Decimal, cap: Decimal) -> None:
    if total > cap:
        raise AwardError(
            _(
                "Cap per project: the government funding of one project is at most %(cap)s; this award "
                "totals %(total)s."
            )
            % {"cap": wan_yuan(cap), "total": wan_yuan(total)},
            field="amounts",
            code="cap",
        )
    if total <= 0:
        raise AwardError(
            _("An award needs some government funding from Sichuan or Chongqing."),
            field="amounts",
            code="required",
        )


def _check_room(
    call: FundingCall,
    call_field: CallField | None,
    field_label: str,
    more: Mapping[str, Decimal],
    places: int,
) -> None:
    """Refuse when ``places`` more awards in the field or ``more`` funding per province do
    not fit in what the call (as locked) has left."""
    if places > 0:
        if call_field is None:
            raise AwardError(
                _("The call sets no quota for %(field)s: no award can be made in this field.")
                % {"field": field_label},
                code="quota",
            )
        if call_field.awarded + places > call_field.quota:
            raise AwardError(
                _("Quota of %(field)s: %(used)d of %(quota)d awards made; no place is left.")
                % {"field": field_label, "used": call_field.awarded, "quota": call_field.quota},
                code="quota",
            )
    for province in PROVINCES:
        needed = more.get(province, ZERO)
        if needed <= 0:
            continue
        used = call.awarded_sc if province == Province.SC else call.awarded_cq
        budget = call.budget_of(province)
        if used + needed > budget:
            raise AwardError(
                _(
                    "%(province)s budget: %(used)s used of %(budget)s; this award needs %(more)s more, "
                    "only %(left)s is left."
                )
                % {
                    "province": _province_label(province),
                    "used": wan_yuan(used),
                    "budget": wan_yuan(budget),
                    "more": wan_yuan(needed),
                    "left": wan_yuan(max(budget - used, ZERO)),
                },
                field=f"amounts.{province}",
                code=f"budget_{province.lower()}",
            )


def _move_counters(
    call: FundingCall,
    call_field: CallField | None,
    field_label: str,
    delta: Mapping[str, Decimal],
    places: int,
) -> None:
    """Add ``delta`` to the call's funding counters and ``places`` to the field's, with F()
    under the lock already held. The CHECK constraints are the last line of defence."""
    d_sc, d_cq = delta.get(Province.SC, ZERO), delta.get(Province.CQ, ZERO)
    try:
        with transaction.atomic():
            if d_sc or d_cq:
                FundingCall.objects.filter(pk=call.pk).update(
                    awarded_sc=F("awarded_sc") + d_sc, awarded_cq=F("awarded_cq") + d_cq
                )
            if places and call_field is not None:
                CallField.objects.filter(pk=call_field.pk).update(awarded=F("awarded") + places)
    except IntegrityError as error:
        # Somebody changed the counters without the lock: say which rule, with today's figures.
        logger.warning("award counters refused by the database: %s", error)
        fresh = FundingCall.objects.get(pk=call.pk)
        fresh_field = CallField.objects.filter(pk=call_field.pk).first() if call_field is not None else None
        _check_room(fresh, fresh_field, field_label, delta, places)
        raise AwardError(
            _("The quotas and budgets of the call changed meanwhile. Reload and try again."), code="conflict"
        ) from error
    call.awarded_sc += d_sc
    call.awarded_cq += d_cq
    if places and call_field is not None:
        call_field.awarded += places


# --- Reading an application for an award --------------------------------------------------------


@dataclass
class AwardBasis:
    """What an award of one application is made of: its units, request, cap and field."""

    application: Application
    units: list[Unit]
    requested: Shares
    cap: Decimal

    @property
    def field_label(self) -> str:
        task = self.application.guide_task
        return task.field.name if task is not None else _("no field")

    def call_field(self, call: FundingCall) -> CallField | None:
        task = self.application.guide_task
        if task is None:
            return None
        return CallField.objects.filter(call=call, field_id=task.field_id).first()


def award_basis(application: Application, call: FundingCall | None = None) -> AwardBasis:
    """The units, request and cap of ``application`` (two queries: partners and budget lines)."""
    call = call or application.call
    partners = list(Partner.objects.filter(application=application).select_related("organization"))
    units = units_of(application, partners)
    lines = BudgetLine.objects.filter(application=application, source__in=list(GOVERNMENT_SOURCES))
    return AwardBasis(application, units, requested_of(lines, units), cap_of(application, call))


def _fresh_application(pk: int) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("lead_unit", "guide_task__field", "call")
        .get(pk=pk)
    )


def _score_of(application: Application, call: FundingCall) -> Decimal | None:
    for row in ranking_of_call(call=call).rows:
        if row.application.pk == application.pk:
            return row.aggregate.trimmed_mean
    return None


def _shares_data(shares: Shares) -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = {}
    for (province, uscc), amount in sorted(shares.items()):
        data.setdefault(province, {})[uscc] = str(amount)
    return data


def _write_shares(award: Award, shares: Shares, units: list[Unit]) -> None:
    by_uscc = {unit.uscc: unit for unit in units}
    AwardShare.objects.bulk_create(
        [
            AwardShare(
                award=award,
                province=province,
                unit_uscc=uscc,
                unit_name=by_uscc[uscc].name,
                unit_province=by_uscc[uscc].province_paid_by(province),
                amount=amount,
            )
            for (province, uscc), amount in sorted(shares.items())
        ]
    )


def _current_shares(award: Award) -> Shares:
    return {(s.province, s.unit_uscc): s.amount for s in AwardShare.objects.filter(award=award)}
