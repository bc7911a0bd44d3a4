"""Forms of the section pages of an application (``applications/views/sections.py``).

The forms check little on their own. What a person typed goes, as plain strings, to
``applications.services.application_save``, which checks it with the models' rules (the
same rules the API applies) and answers errors by path (``team[2].id_number``); an
*editor* here turns its form into that data and puts each error back next to its field.
Two things are checked here because the service never sees them as typed: the budget's
amounts in 万元 (the service takes yuan) and a registered partner typed by code or name.

Row sections (partners, team, indicators, milestones) are formsets that work without
script: the stored rows, two empty rows (ignored while empty) and a "remove" box per row.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from applications import inputs
from applications.models import (
    Application,
    AttachmentKind,
    BudgetCategory,
    BudgetSource,
    IndicatorKind,
    TeamRole,
)
from applications.problems import Problem
from applications.rules import BudgetCell, budget_totals
from portal.accounts.models import IdType
from portal.choices import Province
from portal.organizations.models import Organization
from portal.validators import normalize_uscc

TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")
# 14 digits with 2 decimals in yuan (the model's MONEY) is below 10^8 万元.
MAX_WAN = Decimal("99999999.99")
EXTRA_ROWS = 2
MAX_ROWS = 200
PATH = re.compile(r"^(?P<section>[a-z_]+)\[(?P<index>\d+)\](?:\.(?P<field>[a-z_]+))?$")
REQUIRED = gettext_lazy("This field is required.")


class MonthInput(forms.TextInput):
    input_type = "month"


class SectionForm(forms.Form):
    """Labels stand above their fields: no trailing colon."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def text_field(
    label: Any, *, max_length: int | None = None, help_text: Any = "", **attrs: Any
) -> forms.Field:
    """A permissive field: the service applies the rules, so that pages and API agree."""
    widget = attrs.pop("widget", None) or forms.TextInput()
    if max_length:
        widget.attrs["maxlength"] = str(max_length)
    widget.attrs.update(attrs)
    return forms.CharField(label=label, required=False, help_text=help_text, widget=widget)


def number_widget(**attrs: Any) -> forms.NumberInput:
    return forms.NumberInput(attrs={"inputmode": "numeric", "min": "1", **attrs})


def raw(form: forms.Form, name: str) -> str:
    """What was typed (or what the form started with), as a stripped string."""
    if name not in form.fields:
        return ""
    value = (
        form.cleaned_data.get(name) if hasattr(form, "cleaned_data") and name in form.cleaned_data else None
    )
    if value is None:
        value = form[name].value()
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class ErrorItem:
    """One line of the error summary at the top of the page, linking to its field."""

    anchor: str
    text: str


# --- Scalar sections: basics and content ---------------------------------------------------


class BasicsForm(SectionForm):
    guide_task = text_field(gettext_lazy("Guide task"), widget=forms.Select())
    title = text_field(
        gettext_lazy("Project title"), max_length=200, help_text=gettext_lazy("At most 200 characters.")
    )
    start_date = text_field(
        gettext_lazy("Start month"),
        widget=MonthInput(),
        help_text=gettext_lazy("Year and month, e.g. 2022-01."),
    )
    duration_months = text_field(gettext_lazy("Duration (months)"), widget=number_widget())

    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        call = application.call
        tasks = call.tasks.select_related("field").order_by(
            "field__position", "field__code", "position", "code"
        )
        groups: dict[int, tuple[str, list[tuple[str, str]]]] = {}
        for task in tasks:
            group = groups.setdefault(task.field_id, (task.field.name, []))
            group[1].append((str(task.pk), f"{task.code} {task.title}"))
        self.fields["guide_task"].widget.choices = [("", _("— choose a guide task —")), *groups.values()]
        duration = self.fields["duration_months"]
        duration.widget.attrs.update(min=str(call.min_duration_months), max=str(call.max_duration_months))
        duration.help_text = _("Between %(min)s and %(max)s months in this call.") % {
            "min": call.min_duration_months,
            "max": call.max_duration_months,
        }

    @staticmethod
    def initial_of(application: Application) -> dict[str, Any]:
        return {
            "guide_task": str(application.guide_task_id or ""),
            "title": application.title,
            "start_date": application.start_date.strftime("%Y-%m") if application.start_date else "",
            "duration_months": application.duration_months or "",
        }


def long_text(label: Any, limit: int, rows: int) -> forms.Field:
    return text_field(
        label,
        max_length=limit,
        help_text=_("At most %(limit)s characters.") % {"limit": f"{limit:,}"},
        widget=forms.Textarea(attrs={"rows": str(rows)}),
    )


class ContentForm(SectionForm):
    def __init__(self, *args: Any, application: Application, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built here so that the limits' help texts follow the page's language.
        self.fields["abstract"] = long_text(_("Abstract"), 3000, 8)
        self.fields["aims"] = long_text(_("Aims and state of the art"), 20000, 12)
        self.fields["technical_route"] = long_text(_("Technical route"), 20000, 12)
        self.fields["foundation"] = long_text(_("Foundation and conditions"), 20000, 12)

    @staticmethod
    def initial_of(application: Application) -> dict[str, Any]:
        names = ("abstract", "aims", "technical_route", "foundation")
        return {name: getattr(application, name) for name in names}


class ScalarEditor:
    """One form whose fields are saved one by one: a valid field is kept even when its
    neighbour is refused."""

    def __init__(
        self, form_class: type, application: Application, data: Any = None, extra: int = EXTRA_ROWS
    ) -> None:
        self.form = form_class(data=data, initial=form_class.initial_of(application), application=application)
        self.top_errors: list[str] = []

    def collect(self) -> dict[str, Any]:
        self.form.is_valid()
        return {
            name: self.form.cleaned_data[name] for name in self.form.fields if name in self.form.cleaned_data
        }

    def check(self, application: Application) -> None:
        """Nothing to do: scalar fields are never held back as a whole."""

    def place(self, problems: list[Problem], only_new: bool = False) -> None:
        for problem in problems:
            name = problem.field if problem.field in self.form.fields else None
            self.form.add_error(name, problem.message)

    @property
    def has_errors(self) -> bool:
        return bool(self.top_errors or self.form.errors)

    def error_items(self) -> list[ErrorItem]:
        items = []
        for name, messages in self.form.errors.items():
            field = self.form[name] if name in self.form.fields else None
            for message in messages:
                if field is None:
                    items.append(ErrorItem("section-form", message))
                else:
                    items.append(ErrorItem(field.id_for_label, f"{field.label}: {message}"))
        return items + [ErrorItem("section-form", message) for message in self.top_errors]

    def context(self) -> dict[str, Any]:
        return {"form": self.form}


# --- Row sections --------------------------------------------------------------------------


class RowForm(SectionForm):
    # A row whose content fields are all empty is ignored (the empty rows of the page).
    content_fields: tuple[str, ...] = ()
    required_fields: tuple[str, ...] = ()
    # Service field name → form field name, where they differ.
    field_names: dict[str, str] = {}

    def __init__(self, *args: Any, leader: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def is_blank(self) -> bool:
        return not any(str(self[name].data or "").strip() for name in self.content_fields)

    def is_removed(self) -> bool:
        return "DELETE" in self.fields and bool(self["DELETE"].data)

    def to_row(self) -> dict[str, Any]:
        return {name: raw(self, name) for name in self.fields if name != "DELETE"}

    def form_field_for(self, name: str) -> str | None:
        name = self.field_names.get(name, name)
        return name if name in self.fields else None


class PartnerForm(RowForm):
    registered = text_field(
        gettext_lazy("Registered unit (code or name)"),
        help_text=gettext_lazy(
            "A unit registered on the portal: type its credit code or choose it from the list."
        ),
        list="registered-units",
        autocomplete="off",
    )
    name = text_field(gettext_lazy("Name of a unit not registered"), max_length=200)
    uscc = text_field(
        gettext_lazy("Its unified social credit code"),
        max_length=18,
        autocomplete="off",
        spellcheck="false",
    )
    province = text_field(
        gettext_lazy("Its province"),
        widget=forms.Select(choices=[("", "—"), *Province.choices]),
    )
    content_fields = ("registered", "name", "uscc", "province")

    @property
    def is_registered(self) -> bool:
        return bool(raw(self, "registered"))

    def form_field_for(self, name: str) -> str | None:
        if name in ("organization", "uscc") and self.is_registered:
            return "registered"
        return super().form_field_for(name)


class TeamForm(RowForm):
    name = text_field(pgettext_lazy("person", "Name"), max_length=100)
    email = text_field(
        gettext_lazy("Email of their account (optional)"),
        help_text=gettext_lazy("A teammate with an account may read and edit the application."),
        widget=forms.EmailInput(),
        autocomplete="off",
    )
    id_type = text_field(gettext_lazy("ID type"), widget=forms.Select(choices=IdType.choices))
    id_number = text_field(gettext_lazy("ID or passport number"), max_length=20, autocomplete="off")
    birth_date = text_field(
        gettext_lazy("Birth date (passport holders only)"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    unit = text_field(gettext_lazy("Unit"), max_length=200)
    title = text_field(gettext_lazy("Professional title"), max_length=50)
    role = text_field(
        gettext_lazy("Role in the project"),
        widget=forms.Select(
            choices=[(TeamRole.CORE, TeamRole.CORE.label), (TeamRole.MEMBER, TeamRole.MEMBER.label)]
        ),
    )
    time_percent = text_field(gettext_lazy("Working time (%)"), widget=number_widget(max="100"))
    content_fields = ("name", "email", "id_number", "birth_date", "unit", "title", "time_percent")
    required_fields = ("name", "id_number", "unit", "time_percent")
    field_names = {"unit_name": "unit"}

    def __init__(self, *args: Any, leader: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.leader = leader
        if leader:
            # The project leader is the first row; their role and account are fixed.
            self.fields["role"] = forms.CharField(
                label=_("Role in the project"),
                required=False,
                disabled=True,
                widget=forms.Select(choices=[(TeamRole.PI, TeamRole.PI.label)]),
            )
            self.fields["email"].disabled = True
            self.fields["email"].help_text = ""
        else:
            self.fields["role"].initial = TeamRole.MEMBER

    def is_blank(self) -> bool:
        return not self.leader and super().is_blank()

    def to_row(self) -> dict[str, Any]:
        row = super().to_row()
        if self.leader:
            row["role"] = TeamRole.PI
            row.pop("email", None)
        if not row.get("birth_date"):
            row.pop("birth_date", None)
        return row


class IndicatorForm(RowForm):
    kind = text_field(gettext_lazy("Type"), widget=forms.Select(choices=IndicatorKind.choices))
    metric = text_field(gettext_lazy("Metric"), max_length=200)
    target = text_field(gettext_lazy("Target"), inputmode="decimal", autocomplete="off")
    unit = text_field(gettext_lazy("Unit of measure"), max_length=30)
    due_month = text_field(gettext_lazy("Due (project month)"), widget=number_widget())
    content_fields = ("metric", "target", "unit", "due_month")
    required_fields = ("metric", "target", "unit", "due_month")


class MilestoneForm(RowForm):
    from_month = text_field(gettext_lazy("From month"), widget=number_widget())
    to_month = text_field(gettext_lazy("To month"), widget=number_widget())
    content = text_field(gettext_lazy("Content"), max_length=2000, widget=forms.Textarea(attrs={"rows": "3"}))
    content_fields = ("from_month", "to_month", "content")
    required_fields = ("from_month", "to_month", "content")


class RowFormSet(forms.BaseFormSet):
    """The remove box is labelled for what it does; the leader's row has none."""

    def get_form_kwargs(self, index: int | None) -> dict[str, Any]:
        kwargs = super().get_form_kwargs(index)
        if self.form is TeamForm:
            kwargs["leader"] = index == 0
        return kwargs

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            if getattr(form, "leader", False):
                del form.fields["DELETE"]
            else:
                form.fields["DELETE"].label = _("Remove this row")


def row_formset(form: type) -> type:
    return forms.formset_factory(
        form,
        formset=RowFormSet,
        extra=EXTRA_ROWS,
        can_delete=True,
        # A new row is left empty rather than removed.
        can_delete_extra=False,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
    )


ROW_TITLES = {
    "partners": gettext_lazy("Partner unit %(n)s"),
    "team": gettext_lazy("Team member %(n)s"),
    "indicators": gettext_lazy("Indicator %(n)s"),
    "milestones": gettext_lazy("Milestone %(n)s"),
}


class RowsEditor:
    """A list section: replaced as a whole by the service, and only when every row is valid."""

    section = ""
    form_class: type = RowForm

    def __init__(self, application: Application, data: Any = None, extra: int = EXTRA_ROWS) -> None:
        self.application = application
        self.formset = row_formset(self.form_class)(
            data=data, prefix=self.section, initial=self.initial_rows(application)
        )
        self.formset.extra = extra
        self.top_errors: list[str] = []
        # For each row sent to the service, the index of its form.
        self.index: list[int] = []
        self.rows: list[dict[str, Any]] = []

    def initial_rows(self, application: Application) -> list[dict[str, Any]]:
        raise NotImplementedError

    def row_title(self, index: int) -> str:
        return str(ROW_TITLES[self.section]) % {"n": index + 1}

    def prepare(self, forms_to_send: list[RowForm]) -> None:
        """A hook for checks across rows before the data is built."""

    def collect(self) -> dict[str, Any] | None:
        """The section's rows for the service, or None while a row has an error of its own."""
        self.formset.is_valid()
        if self.formset.non_form_errors():
            self.top_errors.extend(self.formset.non_form_errors())
            return None
        sending = [
            (i, form)
            for i, form in enumerate(self.formset.forms)
            if not form.is_removed() and not form.is_blank()
        ]
        for _i, form in sending:
            for name in form.required_fields:
                if not raw(form, name) and name not in form.errors:
                    form.add_error(name, str(REQUIRED))
        self.prepare([form for _i, form in sending])
        self.index = [i for i, _form in sending]
        self.rows = [form.to_row() for _i, form in sending]
        if any(form.errors for _i, form in sending):
            return None
        return {self.section: self.rows}

    def check(self, application: Application) -> None:
        """Held back by an error of one row: check the others too, without saving, so that
        every error shows at once."""
        if not self.index:
            return
        cleaned = inputs.clean(application, {self.section: self.rows})
        self.place(
            [Problem(section, path, "invalid", message) for section, path, message in cleaned.errors], True
        )

    def place(self, problems: list[Problem], only_new: bool = False) -> None:
        for problem in problems:
            match = PATH.match(problem.field)
            if not match or match["section"] != self.section or int(match["index"]) >= len(self.index):
                self.top_errors.append(problem.message)
                continue
            form = self.formset.forms[self.index[int(match["index"])]]
            name = form.form_field_for(match["field"] or "")
            if only_new and form.errors.get(name or "__all__"):
                continue
            form.add_error(name, problem.message)

    @property
    def has_errors(self) -> bool:
        return bool(self.top_errors or any(form.errors for form in self.formset.forms))

    def error_items(self) -> list[ErrorItem]:
        items = [ErrorItem(f"{self.section}-rows", message) for message in self.top_errors]
        for i, form in enumerate(self.formset.forms):
            for name, messages in form.errors.items():
                field = form[name] if name in form.fields else None
                anchor = field.id_for_label if field is not None else f"{self.section}-row-{i}"
                where = self.row_title(i) + (f" · {field.label}" if field is not None else "")
                items.extend(ErrorItem(anchor, f"{where}: {message}") for message in messages)
        return items

    def context(self) -> dict[str, Any]:
        return {"formset": self.formset, "rows": self.rows_context()}

    def rows_context(self) -> list[dict[str, Any]]:
        stored = self.formset.initial_form_count()
        return [
            {
                "form": form,
                "title": self.row_title(i),
                "anchor": f"{self.section}-row-{i}",
                "new": i >= stored,
            }
            for i, form in enumerate(self.formset.forms)
        ]


class PartnersEditor(RowsEditor):
    section = "partners"
    form_class = PartnerForm

    def __init__(self, application: Application, data: Any = None, extra: int = EXTRA_ROWS) -> None:
        # Every registered unit, once for the page's list (a datalist) and for the lookup of
        # what was typed; the lead unit is offered nowhere but is looked up, so that choosing
        # it gets the service's message.
        self.units = list(
            Organization.objects.order_by("name").only(
                "id", "name", "uscc", "located_province", "registered_province"
            )
        )
        self.by_code = {unit.uscc: unit for unit in self.units}
        self.by_name = {unit.name: unit for unit in self.units}
        super().__init__(application, data, extra)

    def initial_rows(self, application: Application) -> list[dict[str, Any]]:
        rows = []
        for partner in application.partners.all():
            if partner.organization_id:
                rows.append({"registered": partner.uscc})
            else:
                rows.append({"name": partner.name, "uscc": partner.uscc, "province": partner.province})
        return rows

    def lookup(self, text: str) -> Organization | None:
        return self.by_code.get(normalize_uscc(text)) or self.by_name.get(text)

    def prepare(self, forms_to_send: list[RowForm]) -> None:
        for form in forms_to_send:
            typed = raw(form, "registered")
            if typed and self.lookup(typed) is None and "registered" not in form.errors:
                form.add_error(
                    "registered",
                    _(
                        "No unit registered on the portal has the code or name “%(text)s”. Check it, or "
                        "leave this field empty and fill in the name, code and province of the unit."
                    )
                    % {"text": typed},
                )

    def collect(self) -> dict[str, Any] | None:
        data = super().collect()
        # A registered unit goes to the service by id; a named one by name, code and province.
        for row in self.rows:
            typed = row.pop("registered", "")
            if typed:
                unit = self.lookup(typed)
                row.clear()
                # An unknown one is already marked on its form; -1 keeps the service from
                # reading the row as a named unit when the other rows are checked.
                row["organization"] = unit.pk if unit else -1
        return data

    def rows_context(self) -> list[dict[str, Any]]:
        forms_uploaded = {
            a.partner_uscc
            for a in self.application.attachments.all()
            if a.kind == AttachmentKind.PARTNER_FORM
        }
        stored_named = {p.uscc for p in self.application.partners.all() if not p.organization_id}
        rows = super().rows_context()
        for row in rows:
            form = row["form"]
            typed = raw(form, "registered")
            row["unit"] = self.lookup(typed) if typed else None
            uscc = normalize_uscc(raw(form, "uscc"))
            row["named_stored"] = not typed and uscc in stored_named
            row["has_form"] = uscc in forms_uploaded
        return rows

    def context(self) -> dict[str, Any]:
        lead = self.application.lead_unit_id
        return {**super().context(), "registered_units": [u for u in self.units if u.pk != lead]}


class TeamEditor(RowsEditor):
    section = "team"
    form_class = TeamForm

    def row_title(self, index: int) -> str:
        if index == 0:
            return _("Team member 1: the project leader")
        return super().row_title(index)

    def initial_rows(self, application: Application) -> list[dict[str, Any]]:
        members = list(application.team.all())
        leader = next((m for m in members if m.role == TeamRole.PI), None)
        pi = application.pi
        if leader is not None:
            first = self.row_of(leader)
        else:
            # No leader row yet (the profile had no ID number): start one from the profile.
            first = {
                "name": pi.full_name,
                "id_type": pi.id_type or IdType.RESIDENT_ID,
                "id_number": pi.id_number,
                "unit": application.lead_unit.name,
                "title": pi.title,
            }
        first.update(role=TeamRole.PI, email=pi.email)
        return [first, *(self.row_of(m) for m in members if m is not leader)]

    @staticmethod
    def row_of(member: Any) -> dict[str, Any]:
        return {
            "name": member.name,
            "email": member.user.email if member.user_id else "",
            "id_type": member.id_type,
            "id_number": member.id_number,
            "birth_date": member.birth_date.isoformat()
            if member.birth_date and member.id_type == IdType.PASSPORT
            else "",
            "unit": member.unit_name,
            "title": member.title,
            "role": member.role,
            "time_percent": member.time_percent,
        }


class IndicatorsEditor(RowsEditor):
    section = "indicators"
    form_class = IndicatorForm

    def initial_rows(self, application: Application) -> list[dict[str, Any]]:
        return [
            {
                "kind": i.kind,
                "metric": i.metric,
                "target": f"{i.target.normalize():f}",
                "unit": i.unit,
                "due_month": i.due_month,
            }
            for i in application.indicators.all()
        ]


class MilestonesEditor(RowsEditor):
    section = "milestones"
    form_class = MilestoneForm

    def initial_rows(self, application: Application) -> list[dict[str, Any]]:
        return [
            {"from_month": m.from_month, "to_month": m.to_month, "content": m.content}
            for m in application.milestones.all()
        ]


# --- Budget --------------------------------------------------------------------------------


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


# --- Which editor for which section ---------------------------------------------------------

EDITORS: dict[str, Any] = {
    "basics": lambda application, data, extra: ScalarEditor(BasicsForm, application, data),
    "content": lambda application, data, extra: ScalarEditor(ContentForm, application, data),
    "partners": PartnersEditor,
    "team": TeamEditor,
    "indicators": IndicatorsEditor,
    "milestones": MilestonesEditor,
    "budget": BudgetEditor,
}


def editor_for(section: str, application: Application, data: Any = None, extra: int = EXTRA_ROWS) -> Any:
    """The editor of a form section (None for attachments and the commitment)."""
    make = EDITORS.get(section)
    return make(application, data, extra) if make else None
