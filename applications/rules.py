"""The rules an application must meet to be submitted, as pure functions (no Django).

``problems(doc)`` returns every finding at once, each naming its section, its field and a
stable code with parameters; ``applications/problems.py`` turns them into translated
messages. The same findings tell the form which sections still miss something, the
submission what to refuse, and (later) the bureau's formal check what to show.

Money is ``Decimal`` yuan. Dates and times arrive already resolved (aware ``now`` and
deadline); this module does no clock or database reads of its own.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal

SECTIONS = (
    "basics",
    "content",
    "partners",
    "team",
    "indicators",
    "milestones",
    "budget",
    # Optional (no required content, so always complete): experts the applicant asks to avoid.
    "avoid",
    "attachments",
    "commitment",
)
# At most this many experts to avoid (回避专家) per application.
MAX_AVOIDED_EXPERTS = 3

GOVERNMENT_SOURCES = {"sc_gov": "SC", "cq_gov": "CQ"}
REQUIRED_ATTACHMENTS = ("proposal", "pi_commitment", "unit_commitment", "agreement")


@dataclass(frozen=True)
class Finding:
    section: str
    field: str
    code: str
    params: tuple[tuple[str, str], ...] = ()

    def param(self, name: str) -> str:
        return dict(self.params).get(name, "")


@dataclass(frozen=True)
class CallRules:
    cap: Decimal
    max_indirect_rate: Decimal
    min_self_raised_ratio: Decimal
    min_duration_months: int
    max_duration_months: int
    pi_limit: int
    member_limit: int
    submit_deadline: datetime
    is_open: bool
    cross_funding_allowed: bool = False
    pi_born_after: date | None = None


@dataclass(frozen=True)
class Unit:
    name: str
    uscc: str
    provinces: frozenset[str]
    named: bool = False
    has_form: bool = False


@dataclass(frozen=True)
class Member:
    name: str
    id_number: str
    role: str
    birth_date: date | None = None
    # Other active applications of this call (and ongoing led projects) that the person
    # leads / joins, counted by the caller from the database.
    other_led: int = 0
    other_joined: int = 0


@dataclass(frozen=True)
class BudgetCell:
    unit_uscc: str
    category: str
    source: str
    amount: Decimal


@dataclass(frozen=True)
class Doc:
    call: CallRules
    province: str
    now: datetime
    task_ok: bool
    title: str
    start_date: date | None
    duration_months: int | None
    abstract: str = ""
    aims: str = ""
    technical_route: str = ""
    foundation: str = ""
    lead: Unit | None = None
    partners: tuple[Unit, ...] = ()
    team: tuple[Member, ...] = ()
    indicators: tuple[tuple[str, int], ...] = ()  # (kind, due month)
    milestones: tuple[tuple[int, int], ...] = ()  # (from month, to month)
    budget: tuple[BudgetCell, ...] = ()
    attachments: frozenset[str] = frozenset()
    committed: bool = False
    avoided_experts: int = 0  # how many experts to avoid are named
    extra: dict = field(default_factory=dict)


def _p(**params: object) -> tuple[tuple[str, str], ...]:
    return tuple((name, str(value)) for name, value in params.items())


def other_province(province: str) -> str:
    return {"SC": "CQ", "CQ": "SC"}.get(province, "")


def budget_totals(cells: tuple[BudgetCell, ...]) -> dict[str, Decimal]:
    """Totals of the grid: per category, per source, direct, government and grand total."""
    totals: dict[str, Decimal] = {}
    for cell in cells:
        for key in (f"category:{cell.category}", f"source:{cell.source}", "total"):
            totals[key] = totals.get(key, Decimal(0)) + cell.amount
        if cell.category != "indirect":
            totals["direct"] = totals.get("direct", Decimal(0)) + cell.amount
        if cell.source in GOVERNMENT_SOURCES:
            totals["government"] = totals.get("government", Decimal(0)) + cell.amount
    return totals


def _basics(doc: Doc) -> list[Finding]:
    out: list[Finding] = []
    if not doc.call.is_open:
        out.append(Finding("basics", "call", "call_closed"))
    elif doc.now > doc.call.submit_deadline:
        out.append(Finding("basics", "call", "deadline_passed"))
    if not doc.task_ok:
        out.append(Finding("basics", "guide_task", "required"))
    if not doc.title.strip():
        out.append(Finding("basics", "title", "required"))
    if doc.start_date is None:
        out.append(Finding("basics", "start_date", "required"))
    months = doc.duration_months
    if months is None:
        out.append(Finding("basics", "duration_months", "required"))
    elif not doc.call.min_duration_months <= months <= doc.call.max_duration_months:
        out.append(
            Finding(
                "basics",
                "duration_months",
                "duration_range",
                _p(min=doc.call.min_duration_months, max=doc.call.max_duration_months, got=months),
            )
        )
    if doc.lead is None:
        out.append(Finding("basics", "lead_unit", "required"))
    elif doc.province not in doc.lead.provinces:
        out.append(
            Finding("basics", "lead_unit", "lead_province", _p(unit=doc.lead.name, province=doc.province))
        )
    return out


def _content(doc: Doc) -> list[Finding]:
    names = ("abstract", "aims", "technical_route", "foundation")
    return [Finding("content", name, "required") for name in names if not getattr(doc, name).strip()]


def _partners(doc: Doc) -> list[Finding]:
    out: list[Finding] = []
    if not doc.partners:
        return [Finding("partners", "partners", "no_partner", _p(province=other_province(doc.province)))]
    seen: set[str] = set()
    for index, partner in enumerate(doc.partners):
        where = f"partners[{index}]"
        if doc.lead is not None and partner.uscc == doc.lead.uscc:
            out.append(Finding("partners", f"{where}.uscc", "partner_is_lead", _p(unit=partner.name)))
        if partner.uscc in seen:
            out.append(Finding("partners", f"{where}.uscc", "partner_twice", _p(unit=partner.name)))
        seen.add(partner.uscc)
        if partner.named and not partner.has_form:
            out.append(Finding("partners", f"{where}.form", "partner_form_missing", _p(unit=partner.name)))
    lead_uscc = doc.lead.uscc if doc.lead else None
    other = other_province(doc.province)
    if not any(other in p.provinces and p.uscc != lead_uscc for p in doc.partners):
        out.append(Finding("partners", "partners", "no_partner", _p(province=other)))
    return out


def _team(doc: Doc) -> list[Finding]:
    out: list[Finding] = []
    leaders = [m for m in doc.team if m.role == "pi"]
    if len(leaders) != 1:
        out.append(Finding("team", "team", "one_leader", _p(got=len(leaders))))
    for index, member in enumerate(doc.team):
        where = f"team[{index}]"
        if member.role == "pi":
            if member.other_led + 1 > doc.call.pi_limit:
                out.append(
                    Finding(
                        "team",
                        f"{where}.id_number",
                        "pi_limit",
                        _p(name=member.name, limit=doc.call.pi_limit, other=member.other_led),
                    )
                )
            born_after = doc.call.pi_born_after
            if born_after and member.birth_date and member.birth_date < born_after:
                out.append(
                    Finding(
                        "team", f"{where}.birth_date", "pi_too_old", _p(name=member.name, date=born_after)
                    )
                )
        if member.other_joined + 1 > doc.call.member_limit:
            out.append(
                Finding(
                    "team",
                    f"{where}.id_number",
                    "member_limit",
                    _p(name=member.name, limit=doc.call.member_limit, other=member.other_joined),
                )
            )
    numbers = [m.id_number for m in doc.team]
    for index, number in enumerate(numbers):
        if number in numbers[:index]:
            out.append(
                Finding("team", f"team[{index}].id_number", "member_twice", _p(name=doc.team[index].name))
            )
    return out


def _indicators(doc: Doc) -> list[Finding]:
    out: list[Finding] = []
    kinds = {kind for kind, _due in doc.indicators}
    if "technical" not in kinds:
        out.append(Finding("indicators", "indicators", "no_technical"))
    if not kinds & {"economic", "social"}:
        out.append(Finding("indicators", "indicators", "no_economic_or_social"))
    if doc.duration_months:
        for index, (_kind, due) in enumerate(doc.indicators):
            if due > doc.duration_months:
                out.append(
                    Finding(
                        "indicators",
                        f"indicators[{index}].due_month",
                        "after_end",
                        _p(month=due, months=doc.duration_months),
                    )
                )
    return out


def _milestones(doc: Doc) -> list[Finding]:
    if not doc.milestones:
        return [Finding("milestones", "milestones", "required")]
    out: list[Finding] = []
    for index, (start, end) in enumerate(doc.milestones):
        if doc.duration_months and end > doc.duration_months:
            out.append(
                Finding(
                    "milestones",
                    f"milestones[{index}].to_month",
                    "after_end",
                    _p(month=end, months=doc.duration_months),
                )
            )
        if start > end:
            out.append(Finding("milestones", f"milestones[{index}].from_month", "month_order"))
    return out


def _budget(doc: Doc, cap: Decimal) -> list[Finding]:
    if not doc.budget or not any(cell.amount for cell in doc.budget):
        return [Finding("budget", "budget", "required")]
    out: list[Finding] = []
    totals = budget_totals(doc.budget)
    government = totals.get("government", Decimal(0))
    if government > cap:
        out.append(Finding("budget", "budget", "over_cap", _p(total=government, cap=cap)))
    direct = totals.get("direct", Decimal(0))
    indirect = totals.get("category:indirect", Decimal(0))
    # Compared exactly; shown as the largest amount in fen within the rate (never rounded up).
    allowed = (direct * doc.call.max_indirect_rate).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    if indirect > direct * doc.call.max_indirect_rate:
        out.append(
            Finding(
                "budget",
                "budget",
                "indirect_rate",
                _p(indirect=indirect, allowed=allowed, rate=_percent(doc.call.max_indirect_rate)),
            )
        )
    total = totals.get("total", Decimal(0))
    own = totals.get("source:self", Decimal(0))
    if total and own < total * doc.call.min_self_raised_ratio:
        out.append(
            Finding(
                "budget",
                "budget",
                "self_raised_share",
                _p(share=_percent(own / total), minimum=_percent(doc.call.min_self_raised_ratio)),
            )
        )
    units = {doc.lead.uscc: doc.lead} if doc.lead else {}
    units.update({p.uscc: p for p in doc.partners})
    for cell in doc.budget:
        unit = units.get(cell.unit_uscc)
        if unit is None:
            out.append(Finding("budget", "budget", "unknown_unit", _p(uscc=cell.unit_uscc)))
            continue
        side = GOVERNMENT_SOURCES.get(cell.source)
        if side and cell.amount and not doc.call.cross_funding_allowed and side not in unit.provinces:
            out.append(Finding("budget", "budget", "other_side_funds", _p(unit=unit.name, side=side)))
    return _unique(out)


def _unique(findings: list[Finding]) -> list[Finding]:
    return list(dict.fromkeys(findings))


def _percent(ratio: Decimal) -> str:
    value = (ratio * 100).quantize(Decimal("0.1"))
    return f"{value.normalize():f}%"


def _attachments(doc: Doc) -> list[Finding]:
    return [
        Finding("attachments", kind, "attachment_missing", _p(kind=kind))
        for kind in REQUIRED_ATTACHMENTS
        if kind not in doc.attachments
    ]


def _avoid(doc: Doc) -> list[Finding]:
    # The inputs refuse a fourth row; this catches rows written another way (admin, import).
    if doc.avoided_experts > MAX_AVOIDED_EXPERTS:
        return [
            Finding(
                "avoid",
                "avoided_experts",
                "avoid_too_many",
                _p(max=MAX_AVOIDED_EXPERTS, got=doc.avoided_experts),
            )
        ]
    return []


def _commitment(doc: Doc) -> list[Finding]:
    return [] if doc.committed else [Finding("commitment", "integrity_commitment", "required")]


def problems(doc: Doc, cap: Decimal | None = None) -> list[Finding]:
    """Every finding on ``doc``, in section order. ``cap`` is the guide task's cap when it
    has one, else the call's per-project cap."""
    return [
        *_basics(doc),
        *_content(doc),
        *_partners(doc),
        *_team(doc),
        *_indicators(doc),
        *_milestones(doc),
        *_budget(doc, doc.call.cap if cap is None else cap),
        *_avoid(doc),
        *_attachments(doc),
        *_commitment(doc),
    ]
