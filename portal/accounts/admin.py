"""Users in the admin: Django's user admin adapted to sign-in by email, roles and person data.

The forms are Django's own (password hashing, the "set a password or not" choice, the password
change page), pointed at the email-based user; the model's ``clean()`` checks the ID number
(GB 11643) and that bureau staff carry a province. Every write is audited.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token, TokenProxy

from portal.accounts.models import User
from portal.accounts.services import token_revoke
from portal.audit.admin import AuditedModelAdmin
from portal.audit.services import audit_record


def _clean_email(form: forms.ModelForm) -> str:
    """Addresses are stored in lower case, so that one person cannot hold two accounts by case."""
    email = form.cleaned_data["email"].strip().lower()
    others = User.objects.filter(email__iexact=email)
    if form.instance.pk is not None:
        others = others.exclude(pk=form.instance.pk)
    if others.exists():
        raise forms.ValidationError(_("A user with this email address already exists."), code="unique")
    return email


class PortalUserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name", "role", "province", "organization")

    def clean_email(self) -> str:
        return _clean_email(self)


class PortalUserChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        return _clean_email(self)


@admin.register(User)
class UserAdmin(AuditedModelAdmin, DjangoUserAdmin):
    form = PortalUserChangeForm
    add_form = PortalUserCreationForm
    audit_prefix = "user"
    list_display = ("email", "full_name", "role", "province", "organization", "is_active", "is_staff")
    list_filter = ("role", "province", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name", "organization__name", "organization__uscc")
    list_select_related = ("organization",)
    autocomplete_fields = ("organization",)
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Person"),
            {"fields": ("full_name", "id_type", "id_number", "birth_date", "title", "degree", "phone")},
        ),
        (_("Role and unit"), {"fields": ("role", "province", "organization")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "email",
                    "full_name",
                    "role",
                    "province",
                    "organization",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    readonly_fields = ("last_login", "date_joined")

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> HttpResponse:
        response = super().user_change_password(request, id, form_url)
        # Django redirects only after the new password was saved.
        if request.method == "POST" and response.status_code == 302:
            user = self.get_object(request, id)
            if user is not None:
                # As after a change on the portal's own pages: a token taken with the old
                # password stops working.
                token_revoke(user=user)
                audit_record(actor=request.user, action="user.password_set", obj=user, data={"via": "admin"})
        return response


# Tokens are issued by the sign-in API alone (with the second factor where it applies): an
# admin page that mints them would go around it. Roles are codes on the user, not groups.
for _model in (Token, TokenProxy, Group):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)

# Authenticator devices: administrators may remove a lost one (its owner sets up a new one
# at the next sign-in); every change is audited.
if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(AuditedModelAdmin, TOTPDeviceAdmin):
    audit_prefix = "totp_device"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
