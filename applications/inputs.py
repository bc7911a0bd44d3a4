"""Checking what a person typed into an application, section by section, before it is saved.

Pages and API hand the same plain data (``dict`` of sections; rows as dicts) to
``applications.services.application_save``, which calls these cleaners. Each field is
checked by its model field (type, length, decimals, range, control characters) so that
the message is Django's own, translated, and names the rule; cross-field rules of one row
(an ID number's check character, a month range) are added here. A cleaner returns the
clean value and the errors, keyed by the field's path (``team[2].id_number``).
"""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, validate_email
from django.db import models
from django.utils.translation import gettext as _

from applications.models import (
    Application,
    AvoidedExpert,
    BudgetLine,
    GuideTask,
    Indicator,
    Milestone,
    Partner,
    TeamMember,
    TeamRole,
)
from applications.rules import MAX_AVOIDED_EXPERTS
from portal.accounts.models import IdType, User
from portal.fields import (
    validate_id_number,
    validate_no_control_characters,
    validate_passport_number,
    validate_uscc,
)
from portal.organizations.models import Organization
from portal.validators import id_birth_date, normalize_id_number, normalize_uscc

SCALARS = (
    "title",
    "start_date",
    "duration_months",
    "abstract",
    "aims",
    "technical_route",
    "foundation",
)
ROW_SECTIONS = ("partners", "team", "indicators", "milestones", "budget", "avoided_experts")
# The page section of a row section whose data key differs from it (rows are named by the
# key, ``avoided_experts[0].name``; the problem names the section the page shows).
ROW_SECTION_PAGE = {"avoided_experts": "avoid"}
SECTION_OF = {
    "guide_task": "basics",
    "title": "basics",
    "start_date": "basics",
    "duration_months": "basics",
    "abstract": "content",
    "aims": "content",
    "technical_route": "content",
    "foundation": "content",
}


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    rows: dict[str, list[models.Model]] = field(default_factory=dict)
    # (section, field path, message)
    errors: list[tuple[str, str, str]] = field(default_factory=list)

    def error(self, section: str, path: str, message: str) -> None:
        self.errors.append((section, path, message))


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {
            name: [str(m) for m in ValidationError(errs).messages] for name, errs in error.error_dict.items()
        }
    return {"__all__": [str(m) for m in error.messages]}


def _field_check(instance: models.Model, names: list[str]) -> dict[str, list[str]]:
    """Convert and validate ``names`` of an unsaved instance with the model fields' rules."""
    errors: dict[str, list[str]] = {}
    for name in names:
        model_field = instance._meta.get_field(name)
        raw = getattr(instance, model_field.attname)
        if raw in (None, "") and (model_field.blank or model_field.null):
            setattr(instance, model_field.attname, None if model_field.null and raw in (None, "") else raw)
            continue
        if raw in (None, ""):
            errors[name] = [str(model_field.error_messages["blank"])]
            continue
        try:
            if isinstance(raw, str):
                # PostgreSQL refuses NUL in any text, also in fields without this validator.
                validate_no_control_characters(raw)
            setattr(instance, model_field.attname, model_field.clean(raw, instance))
        except ValidationError as error:
            errors[name] = [str(m) for m in error.messages]
        except (TypeError, ValueError, OverflowError):
            # A value of the wrong type (a number or a list where a date is expected).
            message = model_field.error_messages.get("invalid", RegexValidator.message)
            errors[name] = [str(message) % {"value": raw}]
    return errors


def clean_scalars(application: Application, data: dict[str, Any], out: Cleaned) -> None:
    """Each scalar on its own: a valid one is kept even when its neighbour is not."""
    probe = Application(pk=application.pk, call_id=application.call_id)
    for name in SCALARS:
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, (str, int, type(None))) or isinstance(value, bool):
            out.error(SECTION_OF[name], name, _("Expected text or a number."))
            continue
        if isinstance(value, str) and name not in ("start_date", "duration_months"):
            value = value.replace("\r\n", "\n").strip()
        if value is None and name not in ("start_date", "duration_months"):
            value = ""
        if name == "start_date" and isinstance(value, str) and len(value.strip()) == 7:
            value = value.strip() + "-01"  # <input type=month> sends YYYY-MM
        setattr(probe, name, value)
        problems = _field_check(probe, [name])
        if problems:
            for message in problems[name]:
                out.error(SECTION_OF[name], name, message)
            continue
        cleaned = getattr(probe, name)
        if name == "start_date" and cleaned is not None:
            cleaned = cleaned.replace(day=1)
        out.values[name] = cleaned
    if "guide_task" in data:
        task_id = data["guide_task"]
        if task_id in (None, ""):
            out.values["guide_task"] = None
        else:
            task = GuideTask.objects.filter(pk=_int(task_id), call_id=application.call_id).first()
            if task is None:
                out.error("basics", "guide_task", _("Choose a guide task of this call."))
            else:
                out.values["guide_task"] = task


def _int(value: Any) -> int:
    text = str(value)
    return int(text) if text.isascii() and text.isdigit() else -1


def _rows(data: dict[str, Any], section: str, out: Cleaned) -> list[dict] | None:
    rows = data.get(section)
    if rows is None:
        return None
    page = ROW_SECTION_PAGE.get(section, section)
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        out.error(page, section, _("Expected a list of rows."))
        return None
    if len(rows) > 200:
        out.error(page, section, _("At most 200 rows."))
        return None
    return rows


def _check_row(
    instance: models.Model,
    row: dict,
    names: list[str],
    section: str,
    index: int,
    out: Cleaned,
    key: str = "",
) -> bool:
    """``key`` names the rows in the paths when it differs from the page ``section``."""
    for name in names:
        value = row.get(name, "")
        if isinstance(value, str):
            value = value.strip()
        setattr(instance, instance._meta.get_field(name).attname, value)
    errors = _field_check(instance, names)
    for name, messages in errors.items():
        for message in messages:
            out.error(section, f"{key or section}[{index}].{name}", message)
    return not errors


def clean_partners(application: Application, rows: list[dict], out: Cleaned) -> list[Partner] | None:
    result: list[Partner] = []
    ok = True
    lead_uscc = application.lead_unit.uscc
    for index, row in enumerate(rows):
        path = f"partners[{index}]"
        partner = Partner(application=application, position=index)
        if row.get("organization") not in (None, ""):
            organization = Organization.objects.filter(pk=_int(row["organization"])).first()
            if organization is None:
                out.error("partners", f"{path}.organization", _("There is no registered unit with this id."))
                ok = False
                continue
            partner.organization = organization
            partner.name, partner.uscc, partner.province = (
                organization.name,
                organization.uscc,
                organization.located_province,
            )
        else:
            if not _check_row(partner, row, ["name", "province"], "partners", index, out):
                ok = False
            uscc = normalize_uscc(str(row.get("uscc", "")))
            try:
                validate_uscc(uscc)
            except ValidationError as error:
                for message in error.messages:
                    out.error("partners", f"{path}.uscc", message)
                ok = False
                continue
            partner.uscc = uscc
            # A named unit that is in fact registered is linked, so its provinces count.
            partner.organization = Organization.objects.filter(uscc=uscc).first()
            if partner.organization is not None:
                partner.name = partner.organization.name
        if partner.uscc == lead_uscc:
            out.error(
                "partners",
                f"{path}.uscc",
                _("%(unit)s is the lead unit; it cannot also be a partner.") % {"unit": partner.name},
            )
            ok = False
        result.append(partner)
    return result if ok else None


def _leader_is_the_pi(application: Application, member: TeamMember, path: str, out: Cleaned) -> bool:
    """The project leader's row carries the PI account's own ID number (the project limits and
    the age rule are counted on it), never one typed for the occasion."""
    pi = application.pi
    if not pi.id_number:
        out.error(
            "team",
            f"{path}.id_number",
            _(
                "Add your ID or passport number to your profile first: the project leader's row takes it from there."
            ),
        )
        return False
    member.id_type, member.id_number = pi.id_type, pi.id_number
    if pi.id_type == IdType.RESIDENT_ID or pi.birth_date:
        member.birth_date = pi.birth_date
    return True


def clean_team(application: Application, rows: list[dict], out: Cleaned) -> list[TeamMember] | None:
    result: list[TeamMember] = []
    ok = True
    for index, row in enumerate(rows):
        path = f"team[{index}]"
        member = TeamMember(application=application, position=index)
        row = {**row, "unit_name": row.get("unit_name", row.get("unit", ""))}
        names = ["name", "unit_name", "title", "role", "time_percent"]
        ok = _check_row(member, row, names, "team", index, out) and ok
        id_type = row.get("id_type") or IdType.RESIDENT_ID
        if id_type not in IdType.values:
            out.error("team", f"{path}.id_type", _("Choose a resident ID card or a passport."))
            ok = False
            continue
        member.id_type = id_type
        number = normalize_id_number(str(row.get("id_number", "")))
        check = validate_id_number if id_type == IdType.RESIDENT_ID else validate_passport_number
        try:
            check(number)
        except ValidationError as error:
            for message in error.messages:
                out.error("team", f"{path}.id_number", message)
            ok = False
            continue
        member.id_number = number
        if id_type == IdType.RESIDENT_ID:
            member.birth_date = id_birth_date(number)
        elif row.get("birth_date"):
            ok = _check_row(member, row, ["birth_date"], "team", index, out) and ok
        email = str(row.get("email") or "").strip().lower()
        if member.role == TeamRole.PI:
            member.user = application.pi
            if not _leader_is_the_pi(application, member, path, out):
                ok = False
        elif email:
            try:
                validate_email(email)  # also keeps NUL out of the query (PostgreSQL refuses it)
            except ValidationError as error:
                out.error("team", f"{path}.email", str(error.messages[0]))
                ok = False
                continue
            member.user = User.objects.filter(email=email, is_active=True).first()
            if member.user is None:
                out.error(
                    "team",
                    f"{path}.email",
                    _("No account uses %(email)s; leave it empty or ask the person to register.")
                    % {"email": email},
                )
                ok = False
        result.append(member)
    return result if ok else None


def clean_indicators(application: Application, rows: list[dict], out: Cleaned) -> list[Indicator] | None:
    result, ok = [], True
    for index, row in enumerate(rows):
        indicator = Indicator(application=application, position=index)
        ok = (
            _check_row(
                indicator, row, ["kind", "metric", "target", "unit", "due_month"], "indicators", index, out
            )
            and ok
        )
        result.append(indicator)
    return result if ok else None


def clean_milestones(application: Application, rows: list[dict], out: Cleaned) -> list[Milestone] | None:
    result, ok = [], True
    for index, row in enumerate(rows):
        milestone = Milestone(application=application, position=index)
        fine = _check_row(milestone, row, ["from_month", "to_month", "content"], "milestones", index, out)
        if fine and milestone.from_month > milestone.to_month:
            out.error(
                "milestones",
                f"milestones[{index}].from_month",
                _("The “from” month is after the “to” month."),
            )
            fine = False
        ok = ok and fine
        result.append(milestone)
    return result if ok else None


def clean_budget(application: Application, rows: list[dict], out: Cleaned) -> list[BudgetLine] | None:
    result, ok = [], True
    seen: set[tuple[str, str, str]] = set()
    for index, row in enumerate(rows):
        line = BudgetLine(application=application)
        row = {**row, "unit_uscc": normalize_uscc(str(row.get("unit_uscc", "")))}
        fine = _check_row(line, row, ["unit_uscc", "category", "source", "amount"], "budget", index, out)
        if fine:
            key = (line.unit_uscc, line.category, line.source)
            if key in seen:
                out.error("budget", f"budget[{index}]", _("This unit, category and source appear twice."))
                fine = False
            seen.add(key)
        ok = ok and fine
        if fine and line.amount:
            result.append(line)
    return result if ok else None


def clean_avoided_experts(
    application: Application, rows: list[dict], out: Cleaned
) -> list[AvoidedExpert] | None:
    """The experts the applicant asks not to review the application: at most three, each
    with a name and a unit (matched against the pool by the bureau); the reason is optional."""
    key, section = "avoided_experts", ROW_SECTION_PAGE["avoided_experts"]
    if len(rows) > MAX_AVOIDED_EXPERTS:
        out.error(
            section,
            key,
            _("At most %(max)s experts to avoid may be named (%(count)s were given).")
            % {"max": MAX_AVOIDED_EXPERTS, "count": len(rows)},
        )
        return None
    result, ok = [], True
    seen: set[tuple[str, str]] = set()
    for index, row in enumerate(rows):
        expert = AvoidedExpert(application=application, position=index)
        # The document shows the unit as ``unit`` (like the team's rows); both are taken.
        row = {**row, "unit_name": row.get("unit_name", row.get("unit", ""))}
        fine = _check_row(expert, row, ["name", "unit_name", "reason"], section, index, out, key)
        if fine:
            same = (expert.name.casefold(), expert.unit_name.casefold())
            if same in seen:
                out.error(
                    section,
                    f"{key}[{index}].name",
                    _("%(name)s of %(unit)s is listed twice.")
                    % {"name": expert.name, "unit": expert.unit_name},
                )
                fine = False
            seen.add(same)
        ok = ok and fine
        result.append(expert)
    return result if ok else None


CLEANERS = {
    "partners": clean_partners,
    "team": clean_team,
    "indicators": clean_indicators,
    "milestones": clean_milestones,
    "budget": clean_budget,
    "avoided_experts": clean_avoided_experts,
}


def clean(application: Application, data: dict[str, Any]) -> Cleaned:
    out = Cleaned()
    clean_scalars(application, data, out)
    for section in ROW_SECTIONS:
        rows = _rows(data, section, out)
        if rows is None:
            continue
        cleaned = CLEANERS[section](application, rows, out)
        if cleaned is not None:
            out.rows[section] = cleaned
    return out
