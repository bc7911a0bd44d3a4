"""The eligibility checklist of the formal check (形式审查), computed from the rules of the call.

``checklist(application)`` runs the same pure rules as submission (``applications/rules.py``)
and sorts their findings into the items the bureau checks: the lead unit's province, a partner
of the other province, the guide task, the cap, the indirect rate, the self-raised share, the
project limits (限项), the attachments and commitments, the deadline, and "other rules" for
anything else the rules report. Each item passes or fails with its details (the translated
messages of its findings; for a few passed items the figures that were checked).

What is checked is what was submitted: the document of the latest Submission (frozen). The
call, the guide task and the lead unit are read as they are now, and the project limits are
counted now against the call's active applications — a person who in the meantime leads
another application of the call is over the limit today. The deadline is judged on
``Application.submitted_at``: before the applicants' deadline, or, for an application
submitted again after a return, before the units' deadline (the workflow's own rule for that
second submission).
"""

import copy
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications import rules
from applications.document import rules_input
from applications.models import Application, Submission
from applications.problems import message_of
from portal.templatetags.portal_tags import percent, wan_yuan

BEIJING = ZoneInfo("Asia/Shanghai")

# The items in the order the bureau reads them (codes are stable; labels are translated).
LABELS: dict[str, Promise] = {
    "lead_province": gettext_lazy("The lead unit is of the province the application goes to"),
    "partner": gettext_lazy("A partner unit of the other province"),
    "guide_task": gettext_lazy("A guide task of this call"),
    "cap": gettext_lazy("Government funds within the cap"),
    "indirect_rate": gettext_lazy("Indirect costs within the allowed rate"),
    "self_raised": gettext_lazy("Self-raised share of the budget"),
    "limits": gettext_lazy("Limits on concurrent projects of the leader and the members"),
    "attachments": gettext_lazy("Attachments and integrity commitments"),
    "deadline": gettext_lazy("Submitted in time"),
    "other": gettext_lazy("Other rules of the call"),
}
CODES = tuple(LABELS)

# Findings about the moment of the check (the call is closed now, its deadline is past): the
# deadline item judges the moment of submission instead.
_NOW_FINDINGS = frozenset({"call_closed", "deadline_passed"})


@dataclass(frozen=True)
class CheckItem:
    code: str
    label: str
    passed: bool
    details: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def item_of(finding: rules.Finding) -> str:
    """The checklist item a finding of the rules belongs to."""
    if finding.section == "basics" and finding.field == "lead_unit":
        return "lead_province"
    if finding.section == "basics" and finding.field == "guide_task":
        return "guide_task"
    if finding.section == "partners":
        return "partner"
    if finding.section in ("attachments", "commitment"):
        return "attachments"
    return {
        "over_cap": "cap",
        "indirect_rate": "indirect_rate",
        "self_raised_share": "self_raised",
        "pi_limit": "limits",
        "member_limit": "limits",
    }.get(finding.code, "other")


def latest_submission(application: Application) -> Submission | None:
    return application.submissions.order_by("-number").first()


def _moment(value: Any) -> str:
    return _("%(time)s (Beijing time)") % {
        "time": date_format(timezone.localtime(value, BEIJING), "Y-m-d H:i:s"),
    }


def _deadline_item(application: Application) -> CheckItem:
    call = application.call
    submitted = application.submitted_at
    label = str(LABELS["deadline"])
    if submitted is None:
        return CheckItem("deadline", label, False, [_("The application has not been submitted.")])
    again = application.submission_count > 1
    deadline = call.endorse_deadline if again else call.submit_deadline
    which = (
        _("the units' deadline (the application was submitted again after a return)")
        if again
        else _("the applicants' deadline")
    )
    passed = submitted <= deadline
    text = (
        _("Submitted at %(submitted)s, before %(which)s of %(deadline)s.")
        if passed
        else _("Submitted at %(submitted)s, after %(which)s of %(deadline)s.")
    )
    return CheckItem(
        "deadline",
        label,
        passed,
        [text % {"submitted": _moment(submitted), "which": which, "deadline": _moment(deadline)}],
    )


def _figures(doc: rules.Doc, cap: Decimal) -> dict[str, str]:
    """What a passed budget item shows: the figures that were compared."""
    totals = rules.budget_totals(doc.budget)
    zero = Decimal(0)
    government, direct, total = (totals.get(k, zero) for k in ("government", "direct", "total"))
    indirect, own = totals.get("category:indirect", zero), totals.get("source:self", zero)
    return {
        "cap": _("Government funds of %(total)s; the cap is %(cap)s.")
        % {"total": wan_yuan(government) or "0", "cap": wan_yuan(cap) or "0"},
        "indirect_rate": _("Indirect costs of %(indirect)s on direct costs of %(direct)s (at most %(rate)s).")
        % {
            "indirect": wan_yuan(indirect) or "0",
            "direct": wan_yuan(direct) or "0",
            "rate": percent(doc.call.max_indirect_rate),
        },
        "self_raised": _("Self-raised funds are %(share)s of the total (at least %(minimum)s).")
        % {
            "share": percent(own / total if total else zero),
            "minimum": percent(doc.call.min_self_raised_ratio),
        },
    }


def checklist(application: Application, *, submission: Submission | None = None) -> list[CheckItem]:
    """The checklist of ``application`` (its call, guide task and lead unit loaded with it):
    one item per rule, in the order of ``CODES``. Reads the latest submission unless it is
    given, and counts the project limits (two queries)."""
    if submission is None:
        submission = latest_submission(application)
    checked = application
    if submission is not None:
        # A copy that reads the frozen document; the row itself is not touched.
        checked = copy.copy(application)
        checked.document = submission.document
    doc, cap = rules_input(checked)
    findings = [f for f in rules.problems(doc, cap) if f.code not in _NOW_FINDINGS]
    details: dict[str, list[str]] = {code: [] for code in CODES}
    for finding in findings:
        details[item_of(finding)].append(message_of(finding))
    figures = _figures(doc, cap)
    items = []
    for code in CODES:
        if code == "deadline":
            items.append(_deadline_item(application))
            continue
        failed = details[code]
        shown = failed or ([figures[code]] if code in figures and doc.budget else [])
        items.append(CheckItem(code, str(LABELS[code]), not failed, shown))
    return items


def all_passed(items: list[CheckItem]) -> bool:
    return all(item.passed for item in items)


def failed_codes(items: list[CheckItem]) -> list[str]:
    return [item.code for item in items if not item.passed]


def snapshot(items: list[CheckItem]) -> list[dict[str, Any]]:
    """The checklist as ``FormalCheck.checklist`` stores it (the messages in the decider's
    language, as they were read when deciding)."""
    return [
        {"rule": item.code, "label": item.label, "passed": item.passed, "details": list(item.details)}
        for item in items
    ]
