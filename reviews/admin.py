"""The score rubric in the admin: criteria on their own list (filtered by call) and as an
inline on the call's page, with an action that gives calls the default rubric.

The call's admin is defined by the applications app; this module extends it rather than
the other way round, because ``applications`` never imports ``reviews``.
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from applications.admin import FundingCallAdmin
from applications.models import FundingCall
from portal.audit.admin import AuditedModelAdmin
from reviews.models import Criterion
from reviews.services.rubric import criteria_copy_default


class CriterionInline(admin.TabularInline):
    model = Criterion
    fields = ("position", "code", "name_zh", "name_en", "weight", "max_points")
    extra = 0


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
