"""What is missing or wrong in an application, in the reader's language.

``problems_of(application)`` runs the pure rules of ``applications/rules.py`` on the
application as it is stored and returns ``Problem(section, field, code, message)`` rows:
the form marks its sections with them, submission refuses with all of them at once, and
the API returns them as ``errors``.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import rules
from applications.models import Application, AttachmentKind
from portal.choices import Province

SECTION_LABELS: dict[str, Promise] = {
    "basics": gettext_lazy("Basic data"),
    "content": gettext_lazy("Content"),
    "partners": gettext_lazy("Partner units"),
    "team": gettext_lazy("Team"),
    "indicators": gettext_lazy("Performance indicators"),
    "milestones": gettext_lazy("Milestones"),
    "budget": gettext_lazy("Budget"),
    "avoid": gettext_lazy("Experts to avoid"),
    "attachments": gettext_lazy("Attachments"),
    "commitment": gettext_lazy("Integrity commitment"),
}

FIELD_LABELS: dict[str, Promise] = {
    "guide_task": gettext_lazy("guide task"),
    "title": gettext_lazy("project title"),
    "start_date": gettext_lazy("start month"),
    "duration_months": gettext_lazy("duration"),
    "abstract": gettext_lazy("abstract"),
    "aims": gettext_lazy("aims and state of the art"),
    "technical_route": gettext_lazy("technical route"),
    "foundation": gettext_lazy("foundation and conditions"),
    "milestones": gettext_lazy("milestones"),
    "budget": gettext_lazy("budget"),
    "integrity_commitment": gettext_lazy("integrity commitment"),
}

MESSAGES: dict[str, Promise] = {
    "call_closed": gettext_lazy("The call is not open for applications."),
    "deadline_passed": gettext_lazy("The applicants' deadline of the call has passed."),
    "duration_range": gettext_lazy(
        "The duration must be between %(min)s and %(max)s months (it is %(got)s months)."
    ),
    "lead_province": gettext_lazy(
        "The lead unit %(unit)s is neither registered nor located in %(province)s, the province "
        "whose bureau this application goes to."
    ),
    "no_partner": gettext_lazy(
        "At least one partner unit must be of %(province)s (no single-province bids)."
    ),
    "partner_is_lead": gettext_lazy("%(unit)s is the lead unit; it cannot also be a partner."),
    "partner_twice": gettext_lazy("%(unit)s is listed twice as a partner."),
    "partner_form_missing": gettext_lazy(
        "%(unit)s is not a unit verified on the portal: upload its sealed cooperation form."
    ),
    "one_leader": gettext_lazy("The team must have exactly one project leader (it has %(got)s)."),
    "pi_limit": gettext_lazy(
        "%(name)s already leads %(other)s other application(s) or ongoing project(s); a project "
        "leader may lead at most %(limit)s."
    ),
    "pi_too_old": gettext_lazy("The project leader %(name)s must be born on or after %(date)s."),
    "member_limit": gettext_lazy(
        "%(name)s is already in %(other)s other application(s) of this call; a person may join at most %(limit)s."
    ),
    "member_twice": gettext_lazy("%(name)s is listed twice in the team (same ID number)."),
    "no_technical": gettext_lazy("Give at least one technical indicator."),
    "no_economic_or_social": gettext_lazy("Give at least one economic or social indicator."),
    "after_end": gettext_lazy("Month %(month)s is after the end of the project (%(months)s months)."),
    "month_order": gettext_lazy("The “from” month is after the “to” month."),
    "over_cap": gettext_lazy(
        "Government funding of %(total)s yuan is over the cap of %(cap)s yuan for one project."
    ),
    "indirect_rate": gettext_lazy(
        "Indirect costs of %(indirect)s yuan are over %(rate)s of the direct costs (at most %(allowed)s yuan)."
    ),
    "self_raised_share": gettext_lazy(
        "Self-raised funds are %(share)s of the total; the call asks for at least %(minimum)s."
    ),
    "unknown_unit": gettext_lazy(
        "The budget has a line for %(uscc)s, which is neither the lead unit nor a partner."
    ),
    "other_side_funds": gettext_lazy(
        "%(unit)s receives government funds of the other side (%(side)s); each side funds its own units."
    ),
    "attachment_missing": gettext_lazy("The attachment “%(kind)s” is missing."),
    "avoid_too_many": gettext_lazy(
        "At most %(max)s experts to avoid may be named (the application names %(got)s)."
    ),
}


@dataclass(frozen=True)
class Problem:
    section: str
    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"section": self.section, "field": self.field, "code": self.code, "message": self.message}


def message_of(finding: rules.Finding) -> str:
    if finding.code == "required":
        label = FIELD_LABELS.get(finding.field, finding.field)
        return _("Fill in the %(field)s.") % {"field": label}
    params = dict(finding.params)
    if "province" in params:
        params["province"] = str(Province(params["province"]).label)
    if finding.code == "attachment_missing":
        params["kind"] = str(AttachmentKind(params["kind"]).label)
    if finding.code == "other_side_funds":
        params["side"] = str(Province(params["side"]).label)
    return str(MESSAGES[finding.code]) % params


def problems_of(application: Application) -> list[Problem]:
    from applications.document import rules_input

    doc, cap = rules_input(application)
    return [Problem(f.section, f.field, f.code, message_of(f)) for f in rules.problems(doc, cap)]


def by_section(problems: list[Problem]) -> dict[str, list[Problem]]:
    grouped: dict[str, list[Problem]] = {section: [] for section in rules.SECTIONS}
    for problem in problems:
        grouped[problem.section].append(problem)
    return grouped
