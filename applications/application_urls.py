"""Pages of applications, mounted at /applications/."""

from django.urls import path

from applications.views import applications as views

app_name = "applications"

urlpatterns = [
    path("<int:pk>/", views.detail, name="detail"),
]
