"""The audit trail in the admin (read-only), and two helpers that the other admins share.

- ``ReadOnlyModelAdmin``: rows that only the code writes (audit events, jobs) can be looked at
  but never added, changed or deleted through the admin.
- ``AuditedModelAdmin``: models without services of their own yet (calls, fields, tasks,
  criteria, users) are written by the admin directly; this records each write, including
  inline rows, so that the trail stays complete.
"""

from typing import Any

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseFormSet, ModelForm
from django.http import HttpRequest

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record

# Form fields whose names (never values) would only say that a secret was typed.
_SECRET_FIELDS = frozenset({"password", "password1", "password2", "usable_password"})


class ReadOnlyModelAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AuditedModelAdmin(admin.ModelAdmin):
    # The first part of the action code ("call.update"); the model's name when empty.
    audit_prefix: str = ""

    def _action(self, obj: models.Model, verb: str, *, own: bool = True) -> str:
        prefix = self.audit_prefix if own and self.audit_prefix else obj._meta.model_name
        return f"{prefix}.{verb}"

    @staticmethod
    def _changed(form: ModelForm) -> list[str]:
        return [name for name in form.changed_data if name not in _SECRET_FIELDS]

    def save_object(self, request: HttpRequest, obj: models.Model, form: ModelForm, change: bool) -> None:
        """Write the row (a subclass may narrow the columns written)."""
        super().save_model(request, obj, form, change)

    def save_model(self, request: HttpRequest, obj: models.Model, form: ModelForm, change: bool) -> None:
        self.save_object(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=self._action(obj, "update" if change else "create"),
            obj=obj,
            data={"via": "admin", "changed": self._changed(form)},
        )

    def delete_model(self, request: HttpRequest, obj: models.Model) -> None:
        # Recorded first: after the deletion the row has no primary key left to name.
        audit_record(actor=request.user, action=self._action(obj, "delete"), obj=obj, data={"via": "admin"})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            audit_record(
                actor=request.user, action=self._action(obj, "delete"), obj=obj, data={"via": "admin"}
            )
        super().delete_queryset(request, queryset)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: BaseFormSet, change: bool) -> None:
        for deleted in [f.instance for f in formset.deleted_forms if f.instance.pk is not None]:
            audit_record(
                actor=request.user,
                action=self._action(deleted, "delete", own=False),
                obj=deleted,
                data={"via": "admin"},
            )
        super().save_formset(request, form, formset, change)
        for obj in formset.new_objects:
            audit_record(
                actor=request.user,
                action=self._action(obj, "create", own=False),
                obj=obj,
                data={"via": "admin"},
            )
        for obj, changed in formset.changed_objects:
            audit_record(
                actor=request.user,
                action=self._action(obj, "update", own=False),
                obj=obj,
                data={"via": "admin", "changed": list(changed)},
            )


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyModelAdmin):
    list_display = ("created_at", "action", "object_type", "object_id", "object_repr", "actor", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("action", "object_type", "object_id", "object_repr", "reason", "actor__email")
    list_select_related = ("actor",)
    date_hierarchy = "created_at"
    fields = (
        "created_at",
        "actor",
        "ip",
        "action",
        "object_type",
        "object_id",
        "object_repr",
        "from_state",
        "to_state",
        "reason",
        "data",
    )
    readonly_fields = fields
