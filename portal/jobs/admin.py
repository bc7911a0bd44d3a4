"""Jobs in the admin, read-only: only Celery tasks move their counters and status."""

from django.contrib import admin

from portal.audit.admin import ReadOnlyModelAdmin
from portal.jobs.models import Job


@admin.register(Job)
class JobAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "kind",
        "status",
        "done",
        "failed",
        "total",
        "object_type",
        "object_id",
        "created_at",
    )
    list_filter = ("status", "kind")
    search_fields = ("kind", "object_type", "object_id", "error")
    list_select_related = ("created_by",)
    date_hierarchy = "created_at"
    fields = (
        "kind",
        "status",
        "object_type",
        "object_id",
        "total",
        "done",
        "failed",
        "error",
        "created_by",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields
