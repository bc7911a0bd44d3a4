"""Calls, research fields and guide tasks in the admin.

A call is edited on one page with its fields (quotas) and its guide tasks as inlines; the
reviews app adds the score rubric to the same page (``reviews/admin.py``). There are no call
services yet, so the admin writes directly and ``AuditedModelAdmin`` records every write.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from applications.models import (
    Application,
    Attachment,
    BudgetLine,
    CallField,
    FundingCall,
    GuideTask,
    Partner,
    ResearchField,
    Submission,
    TeamMember,
)
from portal.audit.admin import AuditedModelAdmin, ReadOnlyModelAdmin

CALL_FIELDSETS: tuple[tuple[Any, dict[str, Any]], ...] = (
    (None, {"fields": ("year", "status", "title_zh", "title_en", "description_zh", "description_en")}),
    (
        _("Dates"),
        {
            "fields": (
                "opens_at",
                "submit_deadline",
                "endorse_deadline",
                "acceptance_deadline",
                "review_starts",
                "review_ends",
                "publicity_starts",
                "publicity_working_days",
            )
        },
    ),
    (_("Money"), {"fields": ("budget_sc", "budget_cq", "per_project_cap", "cross_funding_allowed")}),
    (
        _("Rules"),
        {
            "fields": (
                "pi_limit",
                "member_limit",
                "pi_born_after",
                "senior_title_from",
                "min_duration_months",
                "max_duration_months",
                "min_self_raised_ratio",
                "max_indirect_rate",
                "reviewers_per_application",
                "min_reviewers_per_province",
                "disagreement_threshold",
                "notice_number_format",
            )
        },
    ),
)
# Written by the code (the guide PDF task, the database), shown for reference only.
CALL_GENERATED_FIELDS = (
    "awarded_sc",
    "awarded_cq",
    "guide_pdf",
    "guide_pdf_sha256",
    "guide_generated_at",
    "created_at",
)


def _field_names(model: type) -> list[str]:
    return [f.name for f in model._meta.concrete_fields if not f.primary_key]


# Counters kept by the award services (reviews.services.awards) under the call's row lock: the
# admin shows them but never writes them, so that a save cannot put back a stale count.
AWARD_COUNTERS = ("awarded_sc", "awarded_cq")


class FundingCallForm(forms.ModelForm):
    class Meta:
        model = FundingCall
        # The admin narrows the fields to its fieldsets; listed here so that none comes by accident.
        fields = tuple(name for _title, options in CALL_FIELDSETS for name in options["fields"])

    def clean(self) -> dict[str, Any]:
        """A budget below what is already awarded is refused here with the figure (the database's
        CHECK constraint would refuse it too, but only as an error page)."""
        cleaned = super().clean()
        if self.instance.pk:
            awarded = FundingCall.objects.filter(pk=self.instance.pk).values(*AWARD_COUNTERS).first() or {}
            for province in ("sc", "cq"):
                budget, used = cleaned.get(f"budget_{province}"), awarded.get(f"awarded_{province}")
                if budget is not None and used is not None and budget < used:
                    self.add_error(
                        f"budget_{province}",
                        _(
                            "The awards of this call already use %(used)s yuan of this budget: it cannot be lower."
                        )
                        % {"used": f"{used:,.2f}"},
                    )
        return cleaned


class CallFieldForm(forms.ModelForm):
    """A field's quota cannot go below its live awards, and a field with awards cannot be
    removed or swapped for another (its awards would no longer count against any quota)."""

    class Meta:
        model = CallField
        fields = ("field", "quota")

    def awarded(self) -> int:
        if not self.instance.pk:
            return 0
        return CallField.objects.filter(pk=self.instance.pk).values_list("awarded", flat=True).first() or 0

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        awarded = self.awarded()
        if awarded:
            quota = cleaned.get("quota")
            if quota is not None and quota < awarded:
                self.add_error(
                    "quota",
                    _("The field already has %(count)d awards: the quota cannot be lower.")
                    % {"count": awarded},
                )
            if "field" in self.changed_data:
                self.add_error("field", _("The field already has awards: it cannot be changed."))
            if cleaned.get("DELETE"):
                raise forms.ValidationError(_("The field already has awards: it cannot be removed."))
        return cleaned

    def save(self, commit: bool = True) -> CallField:
        if commit and self.instance.pk:
            # Never the award counter: a count read when the form was loaded may be stale by now.
            self.instance.save(update_fields=["field", "quota"])
            return self.instance
        return super().save(commit)


class SharedFieldChoicesMixin:
    """Inline rows share one list of research fields.

    Without it, every row's select runs its own query: 32 tasks made 32 identical queries.
    The list is kept on the request, so it is never stale across requests.
    """

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest | None, **kwargs: Any) -> Any:
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "field" and request is not None and formfield is not None:
            choices = getattr(request, "_research_field_choices", None)
            if choices is None:
                choices = list(formfield.choices)
                request._research_field_choices = choices
            formfield.choices = choices
        return formfield


class CallFieldInline(SharedFieldChoicesMixin, admin.TabularInline):
    model = CallField
    form = CallFieldForm
    fields = ("field", "quota", "awarded")
    readonly_fields = ("awarded",)
    extra = 0


class GuideTaskInline(SharedFieldChoicesMixin, admin.TabularInline):
    """A short view of the tasks; the full text is edited on the task's own page."""

    model = GuideTask
    fields = ("position", "code", "field", "title_zh", "quota")
    extra = 0
    show_change_link = True


@admin.register(FundingCall)
class FundingCallAdmin(AuditedModelAdmin):
    form = FundingCallForm
    audit_prefix = "call"
    inlines = [CallFieldInline, GuideTaskInline]
    list_display = (
        "year",
        "title_zh",
        "status",
        "opens_at",
        "submit_deadline",
        "budget_sc",
        "budget_cq",
        "per_project_cap",
    )
    list_filter = ("status", "year")
    search_fields = ("title_zh", "title_en")

    def save_object(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            obj.save(update_fields=[name for name in _field_names(FundingCall) if name not in AWARD_COUNTERS])
        else:
            super().save_object(request, obj, form, change)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        names = set(_field_names(FundingCall))
        return tuple(name for name in CALL_GENERATED_FIELDS if name in names)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> list[tuple[Any, dict[str, Any]]]:
        listed = {name for _title, options in CALL_FIELDSETS for name in options["fields"]}
        readonly = self.get_readonly_fields(request, obj)
        # Fields added to the model later still show up, until someone gives them a section.
        others = [name for name in _field_names(FundingCall) if name not in listed and name not in readonly]
        fieldsets = list(CALL_FIELDSETS)
        if others:
            fieldsets.append((_("Other"), {"fields": tuple(others)}))
        if readonly:
            fieldsets.append((_("Record"), {"fields": readonly}))
        return fieldsets


@admin.register(ResearchField)
class ResearchFieldAdmin(AuditedModelAdmin):
    list_display = ("code", "name_zh", "name_en", "position")
    search_fields = ("code", "name_zh", "name_en")
    ordering = ("position", "code")


@admin.register(GuideTask)
class GuideTaskAdmin(AuditedModelAdmin):
    list_display = ("code", "title_zh", "field", "call", "quota", "cap", "demand_source")
    list_filter = ("call", "field")
    search_fields = ("code", "title_zh", "title_en")
    list_select_related = ("call", "field")
    autocomplete_fields = ("call",)
    fieldsets = (
        (None, {"fields": ("call", "field", "code", "position")}),
        (
            _("Content"),
            {"fields": ("title_zh", "title_en", "description_zh", "description_en", "demand_source")},
        ),
        (_("Funding"), {"fields": ("cap", "quota")}),
    )


# --- Applications: read-only in the admin ------------------------------------------------
# Applications change only through their services and the workflow (status, snapshot,
# audit, emails); the admin shows them for support and never writes.


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # Shown, never edited: a field that is not editable (uploaded_at) is a FieldError
        # unless it is read-only.
        return self.fields


class PartnerInline(_ReadOnlyInline):
    model = Partner
    fields = ("name", "uscc", "province", "organization")


class TeamInline(_ReadOnlyInline):
    model = TeamMember
    fields = ("name", "role", "unit_name", "title", "time_percent", "user")


class BudgetInline(_ReadOnlyInline):
    model = BudgetLine
    fields = ("unit_uscc", "category", "source", "amount")


class AttachmentInline(_ReadOnlyInline):
    model = Attachment
    fields = ("kind", "partner_uscc", "original_name", "size", "sha256", "uploaded_at")


class SubmissionInline(_ReadOnlyInline):
    model = Submission
    fields = ("number", "submitted_at", "submitted_by", "sha256", "verification_code")


@admin.register(Application)
class ApplicationAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "title",
        "call",
        "guide_task",
        "province",
        "lead_unit",
        "pi",
        "status",
        "updated_at",
    )
    list_filter = ("call", "status", "province")
    search_fields = ("title", "lead_unit__name", "pi__full_name", "pi__email")
    list_select_related = ("call", "guide_task", "lead_unit", "pi")
    inlines = (PartnerInline, TeamInline, BudgetInline, AttachmentInline, SubmissionInline)
