"""Pages of the calls, mounted at /calls/."""

from django.urls import path

from applications.views import calls as views

app_name = "calls"

urlpatterns = [
    path("", views.call_list, name="list"),
    path("<int:pk>/", views.call_detail, name="detail"),
    path("<int:pk>/guide.pdf", views.call_guide_pdf, name="guide_pdf"),
    path("<int:pk>/guide/print/", views.call_guide_print, name="guide_print"),
]
