"""The unit form of the admin: the GB 32100 rule of the services, with the staff override.

The form only validates; saving goes through ``organization_create``/``organization_update``
with the signed-in user as ``by`` (see ``portal/organizations/admin.py``), so the rule and
the audit trail live in one place.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from portal.fields import validate_no_control_characters
from portal.organizations.models import Organization
from portal.organizations.services import organization_uscc_clean
from portal.validators import normalize_uscc


class OrganizationForm(forms.ModelForm):
    # Wider than 18 on purpose: a pasted code with spaces is normalised and a wrong length gets
    # the GB 32100 message instead of a generic "at most 18 characters".
    uscc = forms.CharField(
        label=capfirst(Organization._meta.get_field("uscc").verbose_name),
        max_length=40,
        help_text=_("18 characters, as printed on the business licence or the registration certificate."),
        error_messages={
            "unique": _(
                "Another unit is already registered with this unified social credit code; "
                "a code identifies exactly one unit."
            )
        },
    )

    # Who is saving; the admin sets it per request (``OrganizationAdmin.get_form``).
    by: Any = None

    class Meta:
        model = Organization
        fields = (
            "name",
            "name_en",
            "uscc",
            "org_type",
            "registered_province",
            "located_province",
            "address",
            "uscc_override_reason",
        )

    def __init__(self, *args: Any, by: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if by is not None:
            self.by = by
        reason = self.fields.get("uscc_override_reason")
        if reason is not None:
            reason.help_text = _(
                "Only when a real code fails the GB 32100 check: say why it is accepted (e.g. the "
                "licence was checked). Only bureau staff and administrators may do this; it is recorded."
            )

    def clean_uscc(self) -> str:
        return normalize_uscc(self.cleaned_data["uscc"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        uscc = cleaned.get("uscc")
        if uscc and "uscc" not in self.errors:
            current = self.instance if self.instance.pk else None
            reason = cleaned.get("uscc_override_reason", "")
            if current is not None and uscc == current.uscc and reason == current.uscc_override_reason:
                # Untouched: keep an override recorded earlier.
                reason = None
            try:
                organization_uscc_clean(uscc=uscc, by=self.by, override_reason=reason, current=current)
            except ValidationError as error:
                self.add_error(None, error)
        return cleaned


class MembershipRejectForm(forms.Form):
    """Why a unit administrator rejects a request to join the unit."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        validators=[validate_no_control_characters],
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The person reads it in the email that tells them the decision."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")  # the label stands above the field
        super().__init__(*args, **kwargs)
