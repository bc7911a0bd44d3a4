"""Demo applications of the 2021 call in every state of the applicant's side: draft, submitted,
returned (with the unit's reason), endorsed, accepted by the bureau, withdrawn.

``seed_applications`` (run by ``applications.demo.seed``) plans two to four applications per
guide task, led in turn by units of each province with a partner unit of the other, and writes
them through the services a person would use (``application_save``, ``attachment_upload``,
``application_commit``, ``application_submit``, ``application_move``): the snapshot, the audit
trail and the status emails are those of real users. The plan is computed from the guide tasks
and the tables below, without randomness, so each run plans the same applications; one that
exists (same project leader, same call) is skipped, which makes a second run a no-op.

Every person and unit is fictional. Project leaders are researcher accounts
(researcher.NNN@demo.test); units without a demo administrator get one
(unit_admin.<unit>@demo.test); all use the published demo password. The limits of the call hold:
each researcher leads one application and joins at most one other, so nobody is in more than two.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_UP, Decimal
from typing import Any, TextIO

from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from applications import notifications
from applications.demo_applications_data import (
    ABSTRACT,
    ADMIN_ROSTER_START,
    AIMS,
    AVOID_NAMES,
    AVOID_REASONS,
    COMMON_INDICATORS,
    DEMO_APPLICANT_CQ,
    DEMO_APPLICANT_SC,
    EXTRA_UNIT_KEYS,
    EXTRA_UNITS,
    FIELD_INDICATORS,
    FIELD_UNITS,
    FOUNDATION,
    GIVEN_NAMES,
    ID_REGIONS,
    METHODS,
    MILESTONES,
    PATHS,
    PER_TASK,
    PROVINCE_ZH,
    RETURN_REASONS,
    REVISED_NOTE,
    ROUTE,
    STATE_CYCLE,
    SURNAMES,
    TITLE_PREFIXES,
    TITLE_SUFFIXES,
    TITLES,
    WITHDRAW_REASON,
)
from applications.demo_data import CALL, DEMO_PASSWORD, FIELDS, PEOPLE, TASKS, UNITS
from applications.models import Application, FundingCall, GuideTask
from applications.models.application import REQUIRED_ATTACHMENTS
from applications.services import (
    ApplicationError,
    SubmissionRefused,
    application_commit,
    application_create,
    application_move,
    application_save,
    application_submit,
    attachment_upload,
)
from applications.workflow import TransitionError
from portal.accounts.models import IdType, User
from portal.accounts.roles import Role
from portal.fields import validate_uscc
from portal.organizations.models import Organization
from portal.validators import id_check_char, uscc_check_char

# --- The plan (pure: tasks in, applications and people out) ----------------------------------


@dataclass(frozen=True)
class TaskInfo:
    code: str
    field: str
    title: str
    description: str


@dataclass
class PersonPlan:
    """A fictional person: an account when ``email`` is set, else a team row only."""

    name: str
    id_number: str
    unit: str
    title: str
    email: str = ""


@dataclass
class AppPlan:
    number: int
    task: TaskInfo
    variant: int  # the task's 1st, 2nd, … application
    lead: str
    partner: str
    pi: PersonPlan
    path: str
    teammate: PersonPlan | None = None
    extras: list[PersonPlan] = field(default_factory=list)

    @property
    def state(self) -> str:
        return {"resubmitted": "accepted", "withdrawn_endorsed": "withdrawn"}.get(self.path, self.path)


def pick(options: tuple | list, *numbers: int) -> Any:
    """A fixed, well spread choice: the same numbers give the same option on every run."""
    return options[sum((n + 1) * p for n, p in zip(numbers, (7, 13, 31), strict=False)) % len(options)]


class Roster:
    """Hands out fictional names and valid, distinct ID numbers: the sequence number (digits
    15–17) is 100 + the person's number, above the demo logins' ones."""

    def __init__(self, start: int = 0) -> None:
        self.count = start
        self.names: set[str] = {row[2] for row in PEOPLE}

    def person(self, province: str, unit: str, title: str, *, senior: bool, email: str = "") -> PersonPlan:
        n = self.count
        self.count += 1
        name = ""
        for k in range(len(SURNAMES) * len(GIVEN_NAMES)):
            given = GIVEN_NAMES[(n * 3 + n // len(SURNAMES) + k) % len(GIVEN_NAMES)]
            name = SURNAMES[(n + k) % len(SURNAMES)] + given
            if name not in self.names:
                break
        self.names.add(name)
        born = date(1966 if senior else 1978, 1, 1) + timedelta(days=(n * 397) % (20 * 365))
        first17 = f"{pick(ID_REGIONS[province], n)}{born:%Y%m%d}{100 + n:03d}"
        return PersonPlan(name, first17 + id_check_char(first17), unit, title, email)


def all_units() -> tuple[tuple[str, str, str, str, str, str, str, str], ...]:
    return (*UNITS, *EXTRA_UNITS)


def demo_tasks() -> list[TaskInfo]:
    """The guide tasks of the demo call as written by ``demo.seed_tasks``, in guide order."""
    return [
        TaskInfo(f"CY{CALL['year']}-{prefix}-{number:02d}", code, row[0], row[2])
        for code, _zh, _en, _quota, prefix in FIELDS
        for number, row in enumerate(TASKS[code], start=1)
    ]


def plan_applications(tasks: list[TaskInfo]) -> list[AppPlan]:
    """Who applies for what, with whom, and how far each application gets."""
    unit_rows = {row[0]: row for row in all_units()}
    province_of = {key: row[4] for key, row in unit_rows.items()}
    titles = {key: TITLES[row[3]] for key, row in unit_rows.items()}
    roster = Roster()
    plans: list[AppPlan] = []
    turns: Counter = Counter()
    for t, task in enumerate(tasks):
        for variant in range(PER_TASK[t % len(PER_TASK)]):
            number = len(plans) + 1
            lead_side = (t + variant) % 2  # 0: Chongqing leads, 1: Sichuan
            leads, partners = FIELD_UNITS[task.field][lead_side], FIELD_UNITS[task.field][1 - lead_side]
            lead = leads[turns[(task.field, lead_side)] % len(leads)]
            turns[(task.field, lead_side)] += 1
            partner = pick(partners, t, variant)
            pi = roster.person(
                province_of[lead],
                lead,
                titles[lead][0],
                senior=True,
                email=f"researcher.{number:03d}@demo.test",
            )
            path = STATE_CYCLE[(number - 1) % len(STATE_CYCLE)]
            if path == "accepted" and number % 3 == 0:
                path = "resubmitted"
            if path == "withdrawn" and number % 20 == 10:
                path = "withdrawn_endorsed"
            plans.append(AppPlan(number, task, variant, lead, partner, pi, path))
    _cast_demo_logins(plans, province_of, titles)
    _build_teams(plans, roster, province_of, titles)
    return plans


def _cast_demo_logins(plans: list[AppPlan], province_of: dict, titles: dict) -> None:
    """The demo applicant of Chongqing leads a draft ready but for the commitment, and is a
    teammate on another leader's submitted application; the Sichuan one leads an application
    waiting for the endorsement of the demo unit administrator; and the Chongqing demo unit has
    two more applications waiting for its administrator."""
    logins = {row[0]: row for row in PEOPLE}

    def login(email: str) -> PersonPlan:
        row = logins[email]
        return PersonPlan(row[2], "", row[4], row[8], email)

    cq_unit, sc_unit = logins[DEMO_APPLICANT_CQ][4], logins[DEMO_APPLICANT_SC][4]
    cast: set[int] = set()
    draft = next(p for p in plans if p.lead == cq_unit)
    draft.pi, draft.path = login(DEMO_APPLICANT_CQ), "draft"
    cast.add(draft.number)
    waiting = next(p for p in plans if p.lead == sc_unit)
    waiting.pi, waiting.path = login(DEMO_APPLICANT_SC), "submitted"
    cast.add(waiting.number)
    joined = next(
        p for p in plans if p.number not in cast and p.partner == cq_unit and province_of[p.lead] == "SC"
    )
    joined.path, joined.teammate = "submitted", login(DEMO_APPLICANT_CQ)
    cast.add(joined.number)
    for plan in [p for p in plans if p.lead == cq_unit and p.number not in cast][:2]:
        plan.path = "submitted"


def _build_teams(plans: list[AppPlan], roster: Roster, province_of: dict, titles: dict) -> None:
    """A team of 2–5: the leader, a core member of the partner unit (a researcher who leads an
    application of their own and joins this one, when the partner unit has one free), and up to
    three more. Each researcher joins at most one other application."""
    free: dict[str, list[PersonPlan]] = {}
    for plan in plans:
        if plan.pi.email.startswith("researcher."):
            free.setdefault(plan.lead, []).append(plan.pi)
    for plan in plans:
        if plan.teammate is None:
            candidates = free.get(plan.partner, [])
            if candidates:
                plan.teammate = candidates.pop(0)
            else:
                plan.teammate = roster.person(
                    province_of[plan.partner], plan.partner, titles[plan.partner][1], senior=True
                )
        for k in range((plan.number * 5 + plan.variant) % 4):
            unit = plan.lead if k % 2 == 0 else plan.partner
            plan.extras.append(
                roster.person(province_of[unit], unit, titles[unit][1 if k == 2 else 2], senior=False)
            )


# --- Content of one application ----------------------------------------------------------------


def application_title(plan: AppPlan) -> str:
    topic = plan.task.title.split("：")[-1]
    prefix = TITLE_PREFIXES[plan.task.field][plan.variant % 4]
    return f"{prefix}{topic}{TITLE_SUFFIXES[plan.variant % 4]}"


def _yuan(value: Decimal, rounding: str = ROUND_DOWN) -> Decimal:
    """Rounded to whole thousands of yuan, as budgets are drawn up."""
    return (value / 1000).quantize(Decimal(1), rounding=rounding) * 1000


def budget_rows(
    plan: AppPlan, call: FundingCall, cap: Decimal, lead: Organization, partner: Organization
) -> list:
    """Government funds within the cap, each side's funds to its own unit, indirect costs well
    under the rate, and self-raised funds above the minimum share."""
    government = min(Decimal(pick(range(80, 201, 5), plan.number, plan.variant)) * 10000, _yuan(cap))
    lead_part = _yuan(government * Decimal(pick((55, 60, 65, 70), plan.number)) / 100)
    rate = call.max_indirect_rate
    indirect_share = rate / (1 + rate) * Decimal("0.8")
    own = "sc_gov" if lead.registered_province == "SC" else "cq_gov"
    other = "cq_gov" if own == "sc_gov" else "sc_gov"
    rows = []
    for unit, amount, source in ((lead, lead_part, own), (partner, government - lead_part, other)):
        indirect = _yuan(amount * indirect_share)
        equipment = _yuan(amount * Decimal("0.3"))
        labour = _yuan(amount * Decimal("0.15"))
        operating = amount - indirect - equipment - labour
        for category, value in (
            ("equipment", equipment),
            ("operating", operating),
            ("labour", labour),
            ("indirect", indirect),
        ):
            rows.append(
                {"unit_uscc": unit.uscc, "category": category, "source": source, "amount": str(value)}
            )
    minimum = call.min_self_raised_ratio
    needed = government * minimum / (1 - minimum) * Decimal("1.05") if minimum < 1 else government
    self_raised = max(
        _yuan(needed, ROUND_UP), _yuan(government * Decimal(pick((20, 30, 50), plan.number)) / 100)
    )
    equipment = _yuan(self_raised * Decimal("0.4"))
    for category, value in (("equipment", equipment), ("operating", self_raised - equipment)):
        rows.append({"unit_uscc": lead.uscc, "category": category, "source": "self", "amount": str(value)})
    return rows


def team_row(person: PersonPlan, unit: Organization, role: str, percent: int, account: User | None) -> dict:
    row = {
        "name": account.full_name if account else person.name,
        "id_type": IdType.RESIDENT_ID,
        "id_number": account.id_number if account else person.id_number,
        "unit": unit.name,
        "title": (account.title if account else "") or person.title,
        "role": role,
        "time_percent": percent,
    }
    if account is not None and role != "pi":
        row["email"] = account.email
    return row


def application_data(
    plan: AppPlan, task: GuideTask, units: dict[str, Organization], accounts: dict[str, User], start: date
) -> dict:
    call = task.call
    lead, partner = units[plan.lead], units[plan.partner]
    pi = accounts[plan.pi.email]
    months = max(call.min_duration_months, min(call.max_duration_months, pick((24, 36), plan.number)))
    topic = plan.task.title.split("：")[-1]
    words = {
        "task": plan.task.title,
        "topic": topic,
        "description": plan.task.description,
        "field": {row[0]: row[1] for row in FIELDS}[plan.task.field],
        "lead": lead.name,
        "partner": partner.name,
        "lead_province": PROVINCE_ZH[lead.registered_province],
        "partner_province": PROVINCE_ZH[partner.registered_province],
        "method": pick(METHODS[plan.task.field], plan.number, plan.variant),
        "pi": pi.full_name,
        "pi_title": pi.title or plan.pi.title,
    }
    team = [team_row(plan.pi, lead, "pi", pick((50, 60), plan.number), pi)]
    mate = plan.teammate
    team.append(team_row(mate, partner, "core", pick((30, 40), plan.number), accounts.get(mate.email)))
    for k, person in enumerate(plan.extras):
        team.append(
            team_row(person, units[person.unit], "core" if k == 2 else "member", pick((20, 30, 50), k), None)
        )
    indicators = []
    for k, (kind, metric, targets, unit) in enumerate(
        (*FIELD_INDICATORS[plan.task.field], *COMMON_INDICATORS)
    ):
        due = months - 6 if kind == "technical" and k == 0 else months
        indicators.append(
            {
                "kind": kind,
                "metric": metric,
                "target": str(pick(targets, plan.number, k)),
                "unit": unit,
                "due_month": due,
            }
        )
    quarter = months // 4
    milestones = [
        {"from_month": k * quarter + 1, "to_month": months if k == 3 else (k + 1) * quarter, "content": text}
        for k, text in enumerate(MILESTONES)
    ]
    return {
        "guide_task": task.pk,
        "title": application_title(plan),
        "start_date": start.isoformat(),
        "duration_months": months,
        "abstract": ABSTRACT.format(**words),
        "aims": AIMS.format(**words),
        "technical_route": ROUTE.format(**words),
        "foundation": FOUNDATION.format(**words),
        "partners": [{"organization": partner.pk}],
        "team": team,
        "indicators": indicators,
        "milestones": milestones,
        "budget": budget_rows(plan, call, task.effective_cap, lead, partner),
        "avoided_experts": avoided_experts(plan, units),
    }


def avoided_experts(plan: AppPlan, units: dict[str, Organization]) -> list[dict]:
    """Every fourth application names experts to avoid (回避专家), every eighth two of them:
    people of a competing unit of the same field, so that the panel page has entries to match."""
    if plan.number % 4 != 1:
        return []
    rivals = [
        key
        for side in FIELD_UNITS[plan.task.field]
        for key in side
        if key not in (plan.lead, plan.partner) and key in units
    ]
    if not rivals:
        return []
    count = 2 if plan.number % 8 == 1 else 1
    return [
        {
            "name": pick(AVOID_NAMES, plan.number, k),
            "unit": units[pick(rivals, plan.number, k)].name,
            "reason": AVOID_REASONS[k % len(AVOID_REASONS)],
        }
        for k in range(count)
    ]


def tiny_pdf(text: str) -> bytes:
    """A one-page A4 PDF of a few hundred bytes that any reader opens (Helvetica, ASCII text),
    with a correct cross-reference table."""
    line = text.encode("ascii").replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = (
        b"BT /F1 14 Tf 72 760 Td (" + line + b") Tj 0 -24 Td /F1 10 Tf (Demo data - fictional content.) Tj ET"
    )
    objects = (
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    )
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


ATTACHMENT_TEXTS = {
    "proposal": "Sichuan-Chongqing Joint R&D Portal - demo attachment: project proposal",
    "pi_commitment": "Sichuan-Chongqing Joint R&D Portal - demo attachment: integrity commitment (PI)",
    "unit_commitment": "Sichuan-Chongqing Joint R&D Portal - demo attachment: integrity commitment (unit)",
    "agreement": "Sichuan-Chongqing Joint R&D Portal - demo attachment: cooperation agreement",
}
ATTACHMENT_NAMES = {
    "proposal": "项目申报书.pdf",
    "pi_commitment": "项目负责人科研诚信承诺书.pdf",
    "unit_commitment": "牵头单位科研诚信承诺书.pdf",
    "agreement": "合作协议.pdf",
}

# --- Writing ------------------------------------------------------------------------------------


@dataclass
class Context:
    call: FundingCall
    tasks: dict[str, GuideTask]
    units: dict[str, Organization]
    accounts: dict[str, User]
    unit_admins: dict[int, User]  # by unit id
    staff: dict[str, User]
    start: date
    pdfs: dict[str, bytes]


def seed_units() -> dict[str, Organization]:
    """The demo units (written by ``demo.seed_units``) and the extra ones, by key."""
    units = {}
    for key, name, name_en, org_type, registered, located, first17, address in all_units():
        uscc = first17 + uscc_check_char(first17)
        validate_uscc(uscc)
        if key in EXTRA_UNIT_KEYS:
            units[key], _created = Organization.objects.update_or_create(
                uscc=uscc,
                defaults={
                    "name": name,
                    "name_en": name_en,
                    "org_type": org_type,
                    "registered_province": registered,
                    "located_province": located,
                    "address": address,
                },
            )
        else:
            units[key] = Organization.objects.get(uscc=uscc)
    Organization.objects.filter(pk__in=[u.pk for u in units.values()], verified_at__isnull=True).update(
        verified_at=timezone.now()
    )
    return units


def seed_accounts(
    plans: list[AppPlan], units: dict[str, Organization]
) -> tuple[dict[str, User], dict[int, User]]:
    """Researcher accounts (the leaders) and an administrator for each unit without a demo one.
    Existing accounts are left as they are; new ones share one hash of the demo password (hashing
    is slow on purpose, and the password is published anyway)."""
    wanted: dict[str, tuple[PersonPlan, str]] = {}
    for plan in plans:
        if plan.pi.email.startswith("researcher."):
            wanted[plan.pi.email] = (plan.pi, Role.APPLICANT)
    demo_admin_units = {row[4] for row in PEOPLE if row[1] == Role.UNIT_ADMIN}
    roster = Roster(start=ADMIN_ROSTER_START)
    for row in all_units():
        if row[0] not in demo_admin_units:
            person = roster.person(row[4], row[0], "", senior=False, email=f"unit_admin.{row[0]}@demo.test")
            wanted[person.email] = (person, Role.UNIT_ADMIN)
    existing = {
        user.email: user for user in User.objects.filter(email__in=[*wanted, *(r[0] for r in PEOPLE)])
    }
    password = None
    for email, (person, role) in wanted.items():
        if email in existing:
            continue
        password = password or make_password(DEMO_PASSWORD)
        user = User(
            email=email,
            full_name=person.name,
            role=role,
            organization=units[person.unit],
            id_type=IdType.RESIDENT_ID,
            id_number=person.id_number,
            title=person.title,
            degree="博士" if role == Role.APPLICANT else "硕士",
            password=password,
        )
        user.full_clean()
        user.save()
        existing[email] = user
    admins = {user.organization_id: user for user in existing.values() if user.role == Role.UNIT_ADMIN}
    return existing, admins


def _upload(application: Application, pi: User, pdfs: dict[str, bytes]) -> Application:
    for kind in REQUIRED_ATTACHMENTS:
        attachment_upload(
            application=application,
            kind=kind,
            upload=SimpleUploadedFile(ATTACHMENT_NAMES[kind], pdfs[kind], content_type="application/pdf"),
            by=pi,
            version=application.version,
        )
        application.refresh_from_db(fields=["version"])
    return application


def write_application(plan: AppPlan, ctx: Context) -> Application:
    """One application, from the first save to its last move, as its people would do it."""
    pi = ctx.accounts[plan.pi.email]
    task = ctx.tasks[plan.task.code]
    application = application_create(call=ctx.call, by=pi, guide_task=task, title=application_title(plan))
    data = application_data(plan, task, ctx.units, ctx.accounts, ctx.start)
    result = application_save(application=application, data=data, version=application.version, by=pi)
    if result.errors:
        raise ApplicationError("; ".join(f"{p.field}: {p.message}" for p in result.errors), "invalid")
    application = _upload(result.application, pi, ctx.pdfs)
    if plan.path == "draft":
        return application  # complete but for the integrity commitment: the person ticks it
    application = application_commit(application=application, by=pi, version=application.version)
    unit_admin = ctx.unit_admins.get(application.lead_unit_id)
    for step in PATHS[plan.path]:
        if step == "submit":
            application = application_submit(application=application, by=pi)
        elif step == "revise":
            result = application_save(
                application=application,
                data={"abstract": application.abstract + REVISED_NOTE},
                version=application.version,
                by=pi,
            )
            application = result.application
        elif step in ("endorse", "return"):
            reason = pick(RETURN_REASONS, plan.number) if step == "return" else ""
            application = application_move(application=application, action=step, by=unit_admin, reason=reason)
        elif step == "accept":
            application = application_move(
                application=application, action=step, by=ctx.staff[application.province]
            )
        elif step == "withdraw":
            application = application_move(
                application=application, action=step, by=pi, reason=WITHDRAW_REASON
            )
    return application


def _why(error: Exception) -> str:
    if isinstance(error, SubmissionRefused):
        return "; ".join(f"{p.field}: {p.message}" for p in error.problems)
    if isinstance(error, ApplicationError | TransitionError):
        return error.message
    return f"{type(error).__name__}: {error}"


def start_month(today: date) -> date:
    """Projects start on the first day of the third month after the seed runs."""
    months = today.month - 1 + 3
    return date(today.year + months // 12, months % 12 + 1, 1)


def seed_applications(out: TextIO) -> list[Application]:
    """Write the planned applications that do not exist yet; report each one that fails."""
    call = FundingCall.objects.get(year=CALL["year"], title_zh=CALL["title_zh"])
    plans = plan_applications(demo_tasks())
    created: list[Application] = []
    failed = 0
    with transaction.atomic():
        units = seed_units()
        accounts, unit_admins = seed_accounts(plans, units)
        done = set(
            Application.objects.filter(call=call, pi__email__in=[p.pi.email for p in plans]).values_list(
                "pi__email", flat=True
            )
        )
        todo = [plan for plan in plans if plan.pi.email not in done]
        if todo:
            ctx = Context(
                call=call,
                tasks={
                    task.code: task for task in GuideTask.objects.filter(call=call).select_related("call")
                },
                units=units,
                accounts=accounts,
                unit_admins=unit_admins,
                staff={
                    user.province: user
                    for user in User.objects.filter(role=Role.BUREAU_STAFF, email__in=[r[0] for r in PEOPLE])
                },
                start=start_month(timezone.localdate()),
                pdfs={kind: tiny_pdf(text) for kind, text in ATTACHMENT_TEXTS.items()},
            )
        for plan in todo:
            try:
                # The demo addresses (demo.test) reach nobody: no status emails for the demo's
                # hundreds of moves, instead of them scrolling through the console of ``make run``.
                with transaction.atomic(), notifications.muted():
                    created.append(write_application(plan, ctx))
            except Exception as error:  # one failed demo application must not stop the others
                failed += 1
                out.write(
                    _("Demo application %(number)s (%(pi)s, %(task)s) was not created: %(error)s")
                    % {
                        "number": plan.number,
                        "pi": plan.pi.email,
                        "task": plan.task.code,
                        "error": _why(error),
                    }
                    + "\n"
                )
    states = Counter(plan.state for plan in plans)
    out.write(
        _("Applications: %(total)d planned, %(created)d created now, %(failed)d failed (%(states)s).")
        % {
            "total": len(plans),
            "created": len(created),
            "failed": failed,
            "states": ", ".join(f"{state} {count}" for state, count in sorted(states.items())),
        }
        + "\n"
    )
    out.write(
        _(
            "Project leaders (researcher.NNN@demo.test) and unit administrators "
            "(unit_admin.<unit>@demo.test) use the demo password."
        )
        + "\n"
    )
    return created
