"""The row sections (partners, team, indicators, milestones, experts to avoid) as formsets
that work without script: the stored rows, empty rows (ignored while empty) and a "remove"
box per row."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from applications import inputs
from applications.forms.common import (
    EXTRA_ROWS,
    MAX_ROWS,
    PATH,
    REQUIRED,
    ErrorItem,
    SectionForm,
    number_widget,
    raw,
    text_field,
)
from applications.models import (
    Application,
    AttachmentKind,
    IndicatorKind,
    TeamRole,
)
from applications.problems import Problem
from applications.rules import MAX_AVOIDED_EXPERTS
from portal.accounts.models import IdType
from portal.choices import Province
from portal.organizations.models import Organization
from portal.validators import normalize_uscc


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


class AvoidedExpertForm(RowForm):
    name = text_field(pgettext_lazy("person", "Name"), max_length=100)
    unit = text_field(
        gettext_lazy("Unit"),
        max_length=200,
        help_text=gettext_lazy("The full name of the expert's unit, as registered."),
    )
    reason = text_field(gettext_lazy("Reason (optional)"), max_length=300)
    content_fields = ("name", "unit", "reason")
    required_fields = ("name", "unit")
    field_names = {"unit_name": "unit"}


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
    "avoid": gettext_lazy("Expert to avoid %(n)s"),
}


class RowsEditor:
    """A list section: replaced as a whole by the service, and only when every row is valid."""

    section = ""
    # The rows' name for the service, where it differs from the page's section code.
    key = ""
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

    @property
    def data_key(self) -> str:
        return self.key or self.section

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
        return {self.data_key: self.rows}

    def check(self, application: Application) -> None:
        """Held back by an error of one row: check the others too, without saving, so that
        every error shows at once."""
        if not self.index:
            return
        cleaned = inputs.clean(application, {self.data_key: self.rows})
        self.place(
            [Problem(section, path, "invalid", message) for section, path, message in cleaned.errors], True
        )

    def place(self, problems: list[Problem], only_new: bool = False) -> None:
        for problem in problems:
            match = PATH.match(problem.field)
            if not match or match["section"] != self.data_key or int(match["index"]) >= len(self.index):
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


class AvoidedExpertsEditor(RowsEditor):
    """At most three rows: the page offers as many empty rows as are left; more sent by hand
    are refused by the service with a message naming the rule."""

    section = "avoid"
    key = "avoided_experts"
    form_class = AvoidedExpertForm

    def __init__(self, application: Application, data: Any = None, extra: int = EXTRA_ROWS) -> None:
        super().__init__(application, data, extra)
        if extra:
            stored = self.formset.initial_form_count()
            self.formset.extra = max(0, MAX_AVOIDED_EXPERTS - stored)

    def initial_rows(self, application: Application) -> list[dict[str, Any]]:
        return [
            {"name": a.name, "unit": a.unit_name, "reason": a.reason}
            for a in application.avoided_experts.all()
        ]

    def context(self) -> dict[str, Any]:
        return {**super().context(), "max_rows": MAX_AVOIDED_EXPERTS}
