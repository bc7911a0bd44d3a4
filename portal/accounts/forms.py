"""Forms of the account pages: sign-in by email and the one-time code of the second factor."""

from django import forms
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.utils.translation import gettext_lazy as _


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
        from portal.accounts.models import User

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
