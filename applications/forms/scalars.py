"""The forms of the sections with single fields: basic data and content."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from applications.forms.common import (
    EXTRA_ROWS,
    ErrorItem,
    MonthInput,
    SectionForm,
    number_widget,
    text_field,
)
from applications.models import (
    Application,
)
from applications.problems import Problem


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
