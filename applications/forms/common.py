"""What the section forms share: limits, the base form, small helpers, error items."""

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy

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
