"""Units in the admin. Saving goes through the services, so the GB 32100 rule, the staff override
and the audit trail are the same as everywhere else; the override's who and when are read-only."""

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from portal.audit.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from portal.organizations.forms import OrganizationForm
from portal.organizations.models import MembershipRequest, Organization
from portal.organizations.permissions import can_verify_organization
from portal.organizations.services import (
    EDITABLE_FIELDS,
    organization_create,
    organization_update,
    organization_verify,
)


@admin.register(Organization)
class OrganizationAdmin(AuditedModelAdmin):
    form = OrganizationForm
    audit_prefix = "organization"
    list_display = (
        "name",
        "uscc",
        "org_type",
        "registered_province",
        "located_province",
        "uscc_overridden",
        "verified",
    )
    list_filter = (
        ("verified_at", admin.EmptyFieldListFilter),
        "org_type",
        "registered_province",
        "located_province",
    )
    actions = ("verify_units",)
    search_fields = ("name", "name_en", "uscc")
    fieldsets = (
        (
            None,
            {"fields": ("name", "name_en", "org_type", "registered_province", "located_province", "address")},
        ),
        (
            _("Unified social credit code"),
            {"fields": ("uscc", "uscc_override_reason", "uscc_override_by", "uscc_override_at")},
        ),
        (_("Record"), {"fields": ("verified_at", "verified_by", "created_at")}),
    )
    readonly_fields = ("uscc_override_by", "uscc_override_at", "verified_at", "verified_by", "created_at")

    @admin.display(description=_("verified"), boolean=True)
    def verified(self, obj: Organization) -> bool:
        return obj.is_verified

    @admin.action(description=_("Verify the selected units (checked against their licences)"))
    def verify_units(self, request: HttpRequest, queryset: QuerySet[Organization]) -> None:
        verified, refused = 0, 0
        for organization in queryset.filter(verified_at__isnull=True):
            if can_verify_organization(request.user, organization)[0]:
                organization_verify(organization=organization, by=request.user)
                verified += 1
            else:
                refused += 1
        self.message_user(request, _("%(count)d unit(s) verified.") % {"count": verified}, messages.SUCCESS)
        if refused:
            self.message_user(
                request,
                _("%(count)d unit(s) are of another province: only their own bureau may verify them.")
                % {"count": refused},
                messages.WARNING,
            )

    @admin.display(description=_("check overridden"), boolean=True)
    def uscc_overridden(self, obj: Organization) -> bool:
        return bool(obj.uscc_override_reason)

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> type:
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user

        # The admin builds the form itself; the subclass tells it who is saving.
        class OrganizationFormForUser(form):
            by = user

        return OrganizationFormForUser

    def save_model(
        self, request: HttpRequest, obj: Organization, form: OrganizationForm, change: bool
    ) -> None:
        values = {name: form.cleaned_data[name] for name in EDITABLE_FIELDS if name in form.cleaned_data}
        reason = form.cleaned_data.get("uscc_override_reason", "")
        if change:
            saved = organization_update(
                organization=obj,
                by=request.user,
                # An untouched reason keeps an override recorded earlier.
                override_reason=reason if "uscc_override_reason" in form.changed_data else None,
                **values,
            )
        else:
            saved = organization_create(by=request.user, override_reason=reason, **values)
        # The admin goes on with ``obj`` (its log entry, the redirect): give it the saved row's values.
        for field in Organization._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))
        obj._state.adding = False
        obj._state.db = saved._state.db


@admin.register(MembershipRequest)
class MembershipRequestAdmin(ReadOnlyModelAdmin):
    """Requests to join a unit, for support: the unit's administrator decides on the website."""

    list_display = ("user", "organization", "status", "created_at", "decided_by", "decided_at")
    list_filter = ("status",)
    search_fields = ("user__email", "user__full_name", "organization__name")
    list_select_related = ("user", "organization", "decided_by")
