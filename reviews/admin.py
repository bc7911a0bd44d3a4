"""The review in the admin: the score rubric (criteria on their own list, filtered by call, and
as an inline on the call's page, with an action that gives calls the default rubric) and the
expert pool are edited here, audited; formal checks, conflicts, assignment runs, assignments
and reviews are shown read-only, since they change only through their services (state,
rules, audit, emails).

The call's admin is defined by the applications app; this module extends it rather than
the other way round, because ``applications`` never imports ``reviews``.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from applications.admin import FundingCallAdmin
from applications.models import FundingCall
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.admin import AuditedModelAdmin, ReadOnlyModelAdmin
from reviews.models import (
    Assignment,
    AssignmentRun,
    Award,
    AwardShare,
    Conflict,
    Criterion,
    FormalCheck,
    FundingNotice,
    Holiday,
    Objection,
    Publicity,
    Review,
    ReviewerProfile,
    Score,
)
from reviews.services.rubric import criteria_copy_default


def scoring_started(call: FundingCall | None) -> bool:
    """Once an expert has scored against a call's rubric, the rubric stays as it was: a changed
    weight would make the stored totals disagree with their points."""
    return call is not None and Score.objects.filter(criterion__call=call).exists()


RUBRIC_FIELDS = ("position", "code", "name_zh", "name_en", "weight", "max_points")


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = RUBRIC_FIELDS
    extra = 0

    def get_readonly_fields(self, request: HttpRequest, obj: FundingCall | None = None) -> tuple[str, ...]:
        return RUBRIC_FIELDS if scoring_started(obj) else ()

    def has_add_permission(self, request: HttpRequest, obj: FundingCall | None = None) -> bool:
        return not scoring_started(obj) and super().has_add_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: FundingCall | None = None) -> bool:
        return not scoring_started(obj) and super().has_delete_permission(request, obj)


admin.site.unregister(FundingCall)


@admin.register(FundingCall)
class FundingCallWithRubricAdmin(FundingCallAdmin):
    inlines = [*FundingCallAdmin.inlines, CriterionInline]
    actions = ["copy_default_rubric"]

    @admin.action(description=_("Give the selected calls the default score rubric"))
    def copy_default_rubric(self, request: HttpRequest, queryset: QuerySet[FundingCall]) -> None:
        for call in queryset:
            criteria_copy_default(call=call, by=request.user)
        count = queryset.count()
        self.message_user(
            request,
            ngettext(
                "The default rubric is in place for %(count)d call.",
                "The default rubric is in place for %(count)d calls.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Criterion)
class CriterionAdmin(AuditedModelAdmin):
    list_display = ("call", "position", "code", "name_zh", "name_en", "weight", "max_points")
    list_filter = ("call",)
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("call",)
    autocomplete_fields = ("call",)
    ordering = ("call", "position")

    def get_readonly_fields(self, request: HttpRequest, obj: Criterion | None = None) -> tuple[str, ...]:
        return ("call", *RUBRIC_FIELDS) if obj is not None and scoring_started(obj.call) else ()

    def has_delete_permission(self, request: HttpRequest, obj: Criterion | None = None) -> bool:
        return not (obj is not None and scoring_started(obj.call)) and super().has_delete_permission(
            request, obj
        )


# --- The expert pool: editable; everything else of the review only through its services ----


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(AuditedModelAdmin):
    audit_prefix = "reviewer"
    list_display = ("__str__", "email", "province", "organization", "title", "max_load", "active")
    list_editable = ("max_load", "active")
    list_filter = ("province", "active", "fields")
    search_fields = ("user__full_name", "user__email", "organization__name", "organization__uscc")
    list_select_related = ("user", "organization")
    autocomplete_fields = ("user", "organization")
    fields = ("user", "province", "organization", "fields", "title", "max_load", "active", "created_at")
    readonly_fields = ("created_at",)
    ordering = ("province", "user__full_name")

    @admin.display(description=_("email address"), ordering="user__email")
    def email(self, obj: ReviewerProfile) -> str:
        return obj.user.email

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "user":
            # A profile belongs to an expert account; other roles sign in for other work.
            kwargs["queryset"] = User.objects.filter(role=Role.REVIEWER)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "fields":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FormalCheck)
class FormalCheckAdmin(ReadOnlyModelAdmin):
    list_display = ("application", "decision", "decided_by", "decided_at")
    list_filter = ("decision", "application__province", "application__call")
    search_fields = ("application__title", "reason")
    list_select_related = ("application", "decided_by")
    date_hierarchy = "decided_at"


@admin.register(Conflict)
class ConflictAdmin(ReadOnlyModelAdmin):
    list_display = ("application", "reviewer", "source", "created_by", "created_at")
    list_filter = ("source", "application__call")
    search_fields = ("application__title", "reviewer__user__full_name", "reviewer__user__email", "reason")
    list_select_related = ("application", "reviewer__user", "reviewer__organization", "created_by")


@admin.register(AssignmentRun)
class AssignmentRunAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "call",
        "seed",
        "status",
        "dry_run",
        "optimal",
        "objective",
        "applications",
        "assigned",
        "created_by",
        "created_at",
        "finished_at",
    )
    list_filter = ("call", "status", "dry_run")
    list_select_related = ("call", "created_by")


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyModelAdmin):
    list_display = ("application", "reviewer", "source", "status", "run", "created_by", "created_at")
    list_filter = ("status", "source", "application__call")
    search_fields = ("application__title", "reviewer__user__full_name", "reviewer__user__email")
    list_select_related = ("application", "reviewer__user", "reviewer__organization", "run", "created_by")


class ScoreInline(_ReadOnlyInline):
    model = Score
    fields = ("criterion", "points", "comment")


@admin.register(Review)
class ReviewAdmin(ReadOnlyModelAdmin):
    list_display = ("assignment", "expert", "status", "recommendation", "total", "version", "submitted_at")
    list_filter = ("status", "recommendation", "assignment__application__call")
    search_fields = ("assignment__application__title", "assignment__reviewer__user__full_name")
    list_select_related = ("assignment__application", "assignment__reviewer__user")
    inlines = (ScoreInline,)

    @admin.display(description=_("expert"), ordering="assignment__reviewer__user__full_name")
    def expert(self, obj: Review) -> str:
        return obj.assignment.reviewer.user.full_name


# --- Public announcement: the holiday calendar is edited here; announcements and objections
# change only through reviews.services.publicity ---------------------------------------------


@admin.register(Holiday)
class HolidayAdmin(AuditedModelAdmin):
    """Days off on weekdays (public holidays) and worked weekend days (调休): the window of a
    public announcement is counted on them. A window already started keeps its end date."""

    list_display = ("date", "weekday", "name", "workday")
    list_editable = ("name", "workday")
    list_filter = ("workday",)
    search_fields = ("name",)
    date_hierarchy = "date"
    ordering = ("date",)

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: Holiday) -> str:
        from django.utils.formats import date_format

        return date_format(obj.date, "l")


class ObjectionInline(_ReadOnlyInline):
    model = Objection
    fields = ("token", "award", "name", "unit", "status", "created_at")
    readonly_fields = fields
    show_change_link = True


@admin.register(Publicity)
class PublicityAdmin(ReadOnlyModelAdmin):
    list_display = ("call", "starts_on", "ends_on", "working_days", "status", "created_by", "closed_at")
    list_filter = ("status",)
    list_select_related = ("call", "created_by")
    inlines = (ObjectionInline,)


@admin.register(Objection)
class ObjectionAdmin(ReadOnlyModelAdmin):
    list_display = ("token", "award", "name", "unit", "status", "created_at", "resolved_by", "resolved_at")
    list_filter = ("status", "publicity__call")
    search_fields = ("token", "name", "unit", "email", "award__application__title")
    list_select_related = ("award__application", "resolved_by")
    date_hierarchy = "created_at"


# --- Funding notices: read-only; they change only through reviews.services.notices ----------


@admin.register(FundingNotice)
class FundingNoticeAdmin(ReadOnlyModelAdmin):
    list_display = (
        "number",
        "version",
        "current",
        "status",
        "award",
        "attempts",
        "generated_at",
        "emailed_at",
    )
    list_filter = ("status", "current", "award__call")
    search_fields = ("number", "verification_code", "sha256", "award__application__title")
    list_select_related = ("award__application",)
    date_hierarchy = "created_at"
    fields = (
        "award",
        "number",
        "version",
        "current",
        "status",
        "verification_code",
        "file",
        "sha256",
        "attempts",
        "error",
        "job",
        "created_by",
        "created_at",
        "generated_at",
        "emailed_at",
    )
    readonly_fields = fields


# --- Awards: written only by reviews.services.awards (counters, approvals, audit) ----------------


class AwardShareInline(_ReadOnlyInline):
    model = AwardShare
    fields = ("province", "unit_name", "unit_uscc", "unit_province", "amount")
    readonly_fields = fields


@admin.register(Award)
class AwardAdmin(ReadOnlyModelAdmin):
    list_display = (
        "application",
        "call",
        "field",
        "status",
        "amount_sc",
        "amount_cq",
        "score",
        "suggested",
        "approved_sc_by",
        "approved_cq_by",
        "notice_number",
        "updated_at",
    )
    list_filter = ("call", "status", "field", "suggested")
    search_fields = ("application__title", "application__lead_unit__name", "notice_number")
    list_select_related = ("application__call", "call", "field", "approved_sc_by", "approved_cq_by")
    inlines = (AwardShareInline,)
