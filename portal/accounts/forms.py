"""Forms of the account pages: sign-in by email, the one-time code of the second factor, the
profile, and registration (the person, then either the unit to join or the unit to register)."""

from typing import Any

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    SetPasswordMixin,
)
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from portal.accounts.models import User
from portal.accounts.registration import EMAIL_TAKEN, RegistrationKind, email_taken, registration_uscc_clean
from portal.fields import validate_no_control_characters
from portal.organizations.models import Organization


class StackedLabels:
    """Labels stand above their fields, so they carry no trailing colon (":" or "：")."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class EmailAuthenticationForm(StackedLabels, AuthenticationForm):
    """Django's sign-in form, labelled for what people type: their email address.

    The field keeps the name ``username`` because django-axes counts failures by it.
    """

    username = forms.CharField(
        label=_("Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email", "spellcheck": "false"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The email address or the password is not correct. Please try again."),
        "inactive": _("This account is disabled. Please contact the portal administrator."),
    }

    def clean_username(self) -> str:
        # Addresses are stored in lower case; people type them as they like.
        return self.cleaned_data["username"].strip().lower()


class PortalPasswordChangeForm(StackedLabels, PasswordChangeForm):
    pass


class TokenForm(StackedLabels, forms.Form):
    """The six digits an authenticator app shows."""

    token = forms.CharField(
        label=_("Code from your authenticator app"),
        min_length=6,
        max_length=10,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_token(self) -> str:
        token = self.cleaned_data["token"].replace(" ", "")
        if not token.isdigit() or len(token) not in (6, 8):
            raise forms.ValidationError(_("Enter the 6 digits that your authenticator app shows."))
        return token


class PortalPasswordResetForm(StackedLabels, PasswordResetForm):
    """Django's reset form (it never says whether an address has an account); the email is
    queued and sent by a Celery task after commit instead of inside the request."""

    email = forms.EmailField(
        label=_("Email"), max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict,
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        from portal.accounts.services import user_password_reset_email

        user_password_reset_email(user=context["user"], context=context)


class PortalSetPasswordForm(StackedLabels, SetPasswordForm):
    pass


class ProfileForm(StackedLabels, forms.ModelForm):
    """A person's own data. The model checks the ID number and derives the birth date."""

    class Meta:
        model = User
        fields = ("full_name", "id_type", "id_number", "birth_date", "title", "degree", "phone")
        # An <input type="date"> takes ISO dates only, whatever the language of the page.
        widgets = {"birth_date": forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})}
        help_texts = {
            "id_number": _(
                "Resident ID: 18 characters, the last may be X. Passport: 5 to 20 letters or digits."
            ),
            "birth_date": _("Filled in from a resident ID number."),
        }


class RegistrationForm(StackedLabels, SetPasswordMixin, forms.Form):
    """The person who registers, and whether they join a unit or register one."""

    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        help_text=_("You sign in with this address; we send a link to it to confirm your account."),
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        max_length=100,
        validators=[validate_no_control_characters],
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Phone"),
        max_length=30,
        validators=[validate_no_control_characters],
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    password1, password2 = SetPasswordMixin.create_password_fields()
    kind = forms.ChoiceField(label=_("You register as"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"kind": RegistrationKind.RESEARCHER})
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = RegistrationKind.choices

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if email_taken(email):
            raise ValidationError(EMAIL_TAKEN, code="unique")
        return email

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        self.validate_passwords()
        # The similarity validator compares the password with the person's email address.
        person = User(email=cleaned.get("email", ""), full_name=cleaned.get("full_name", ""))
        self.validate_password_for_user(person)
        return cleaned


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return obj.name


class JoinUnitForm(StackedLabels, forms.Form):
    """The registered unit a researcher asks to join (at registration it may wait)."""

    organization = UnitChoiceField(
        label=_("Unit to join"),
        queryset=None,
        empty_label=_("— choose your unit —"),
        help_text=_(
            "Its unit administrator decides. Is your unit not listed? Its research office registers it first."
        ),
    )

    def __init__(self, *args: Any, required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["organization"]
        field.queryset = Organization.objects.order_by("name", "id")
        field.required = required
        if not required:
            field.empty_label = _("— later, from my account —")


class UnitRegistrationForm(StackedLabels, forms.ModelForm):
    """The unit a research office registers; the USCC follows the unit services' GB 32100 rule
    (no override here: that is for bureau staff) and must not be registered already."""

    uscc = forms.CharField(
        label=_("Unified social credit code"),
        # Wider than 18: a pasted code with spaces is normalised; a wrong length gets the GB 32100 message.
        max_length=40,
        help_text=_("18 characters, as printed on the business licence or the registration certificate."),
    )

    class Meta:
        model = Organization
        fields = ("name", "name_en", "uscc", "org_type", "registered_province", "located_province", "address")
        labels = {"name": _("Name of the unit")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["address"].required = True
        for field in self.fields.values():
            field.label = capfirst(field.label)
        # The browser may fill in the unit's name and address from the person's saved data.
        self.fields["name"].widget.attrs["autocomplete"] = "organization"
        self.fields["address"].widget.attrs["autocomplete"] = "street-address"

    def clean_uscc(self) -> str:
        try:
            return registration_uscc_clean(self.cleaned_data["uscc"])
        except ValidationError as error:
            raise ValidationError(error.error_dict["uscc"]) from error

    def validate_unique(self) -> None:
        # clean_uscc said it in the words of registration; the service checks again on save.
        pass
