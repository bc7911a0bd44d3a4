"""The budget grid: per unit × category × source, typed in 万元 with two decimals, turned
into yuan for the service; totals computed from what is stored."""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext as _

from applications.forms.common import (
    CENT,
    EXTRA_ROWS,
    MAX_WAN,
    PATH,
    TEN_THOUSAND,
    ErrorItem,
    SectionForm,
    raw,
)
from applications.models import (
    Application,
    BudgetCategory,
    BudgetSource,
)
from applications.problems import Problem
from applications.rules import BudgetCell, budget_totals


def wan_text(yuan: Decimal) -> str:
    return f"{(yuan / TEN_THOUSAND).quantize(CENT)}"


def parse_wan(text: str) -> tuple[Decimal | None, str]:
    """An amount typed in 万元 → (yuan, "") or (None, the rule it breaks)."""
    cleaned = text.strip().replace(",", "").replace("，", "").replace(" ", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        return None, _("“%(text)s” is not a number; type an amount in 10,000 yuan, e.g. 12.5.") % {
            "text": text
        }
    if value < 0:
        return None, _("the amount may not be negative.")
    if value.as_tuple().exponent < -2:
        return None, _("at most two decimals in 10,000 yuan (that is, to the hundred yuan).")
    if value > MAX_WAN:
        return None, _("at most 99,999,999.99 × 10,000 yuan.")
    return (value * TEN_THOUSAND).quantize(CENT), ""


@dataclass
class BudgetUnit:
    uscc: str
    label: str
    name: str
    lead: bool = False
    former: bool = False


class BudgetForm(SectionForm):
    def __init__(self, *args: Any, units: list[BudgetUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cells: dict[str, tuple[BudgetUnit, str, str]] = {}
        for unit in units:
            for category, category_label in BudgetCategory.choices:
                for source, source_label in BudgetSource.choices:
                    name = f"{unit.uscc}-{category}-{source}"
                    label = f"{unit.label} · {category_label} · {source_label}"
                    self.fields[name] = forms.CharField(
                        label=label,
                        required=False,
                        widget=forms.TextInput(
                            attrs={
                                "inputmode": "decimal",
                                "autocomplete": "off",
                                "class": "amount-input",
                                "aria-label": label,
                            }
                        ),
                    )
                    self.cells[name] = (unit, category, source)


class BudgetEditor:
    """The grid unit × category × source in 万元; sent as yuan lines, all or nothing."""

    section = "budget"

    def __init__(self, application: Application, data: Any = None, extra: int = EXTRA_ROWS) -> None:
        self.application = application
        self.units = self.units_of(application)
        lines = list(application.budget.all())
        initial = {f"{b.unit_uscc}-{b.category}-{b.source}": wan_text(b.amount) for b in lines}
        self.form = BudgetForm(data=data, initial=initial, units=self.units)
        self.cells = [BudgetCell(b.unit_uscc, b.category, b.source, b.amount) for b in lines]
        self.top_errors: list[str] = []
        self.index: list[str] = []

    @staticmethod
    def units_of(application: Application) -> list[BudgetUnit]:
        lead = application.lead_unit
        units = [BudgetUnit(lead.uscc, _("Lead unit"), lead.name, lead=True)]
        seen = {lead.uscc}
        for partner in application.partners.all():
            if partner.uscc not in seen:
                seen.add(partner.uscc)
                units.append(BudgetUnit(partner.uscc, partner.name, partner.name))
        # Lines of a unit that is no longer a partner stay visible until they are cleared.
        for line in application.budget.all():
            if line.unit_uscc not in seen:
                seen.add(line.unit_uscc)
                label = _("Former partner %(code)s") % {"code": line.unit_uscc}
                units.append(BudgetUnit(line.unit_uscc, label, label, former=True))
        return units

    def collect(self) -> dict[str, Any] | None:
        self.form.is_valid()
        rows = []
        for name, (unit, category, source) in self.form.cells.items():
            typed = raw(self.form, name)
            if not typed:
                continue
            yuan, rule = parse_wan(typed)
            if yuan is None:
                self.form.add_error(name, f"{self.form.fields[name].label}: {rule}")
                continue
            rows.append({"unit_uscc": unit.uscc, "category": category, "source": source, "amount": f"{yuan}"})
            self.index.append(name)
        if self.form.errors:
            return None
        return {"budget": rows}

    def check(self, application: Application) -> None:
        """The cells are checked here in full; nothing more to ask the service."""

    def place(self, problems: list[Problem], only_new: bool = False) -> None:
        for problem in problems:
            match = PATH.match(problem.field)
            if match and match["section"] == "budget" and int(match["index"]) < len(self.index):
                name = self.index[int(match["index"])]
                self.form.add_error(name, f"{self.form.fields[name].label}: {problem.message}")
            else:
                self.top_errors.append(problem.message)

    @property
    def has_errors(self) -> bool:
        return bool(self.top_errors or self.form.errors)

    def error_items(self) -> list[ErrorItem]:
        items = [ErrorItem("budget-grid", message) for message in self.top_errors]
        for name, messages in self.form.errors.items():
            anchor = self.form[name].id_for_label if name in self.form.fields else "budget-grid"
            items.extend(ErrorItem(anchor, message) for message in messages)
        return items

    def context(self) -> dict[str, Any]:
        application = self.application
        call = application.call
        totals = budget_totals(tuple(self.cells))
        categories = BudgetCategory.choices
        sources = BudgetSource.choices
        grids = []
        for unit in self.units:
            own = tuple(c for c in self.cells if c.unit_uscc == unit.uscc)
            unit_totals = budget_totals(own)
            rows = []
            for category, category_label in categories:
                fields = [self.form[f"{unit.uscc}-{category}-{source}"] for source, _label in sources]
                saved = sum((c.amount for c in own if c.category == category), Decimal(0))
                rows.append({"label": category_label, "fields": fields, "total": saved})
            grids.append(
                {
                    "unit": unit,
                    "rows": rows,
                    "source_totals": [unit_totals.get(f"source:{s}", Decimal(0)) for s, _label in sources],
                    "total": unit_totals.get("total", Decimal(0)),
                }
            )
        task = application.guide_task
        cap = task.effective_cap if task is not None else call.per_project_cap
        direct = totals.get("direct", Decimal(0))
        indirect = totals.get("category:indirect", Decimal(0))
        allowed = (direct * call.max_indirect_rate).quantize(CENT)
        total = totals.get("total", Decimal(0))
        own = totals.get("source:self", Decimal(0))
        government = totals.get("government", Decimal(0))
        share = (own / total) if total else Decimal(0)
        return {
            "form": self.form,
            "grids": grids,
            "sources": sources,
            "summary": {
                "categories": [
                    {
                        "label": label,
                        "by_source": [
                            sum(
                                (c.amount for c in self.cells if c.category == code and c.source == s),
                                Decimal(0),
                            )
                            for s, _label in sources
                        ],
                        "total": totals.get(f"category:{code}", Decimal(0)),
                    }
                    for code, label in categories
                ],
                "source_totals": [totals.get(f"source:{s}", Decimal(0)) for s, _label in sources],
                "total": total,
                "government": government,
                "cap": cap,
                "over_cap": government > cap,
                "direct": direct,
                "indirect": indirect,
                "indirect_allowed": allowed,
                "indirect_rate": call.max_indirect_rate,
                "indirect_over": indirect > allowed,
                "self": own,
                "self_share": share,
                "self_minimum": call.min_self_raised_ratio,
                "self_short": bool(total) and own < total * call.min_self_raised_ratio,
            },
        }
