"""Pages of applications, mounted at /applications/."""

from django.urls import path

from applications.views import applications as views
from applications.views import sections, unit
from applications.views import verify as verify_views

app_name = "applications"

urlpatterns = [
    path("", views.application_list, name="list"),
    path("new/", views.application_new, name="new"),
    path("unit/", unit.unit_list, name="unit_list"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/<slug:section>/", sections.edit, name="edit"),
    path("<int:pk>/attachments/<int:attachment_id>/", sections.attachment, name="attachment"),
    path("<int:pk>/submit/", views.submit, name="submit"),
    path("<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("<int:pk>/endorse/", views.endorse, name="endorse"),
    path("<int:pk>/return/", views.return_, name="return"),
    path("<int:pk>/print/", views.print_pdf, name="print"),
    path("verify/<str:code>/", verify_views.verify, name="verify"),
]
