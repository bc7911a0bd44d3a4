"""Pages of a unit under /units/: its administrator's page of members and requests to join."""

from django.urls import path

from portal.organizations import views

app_name = "units"

urlpatterns = [
    path("members/", views.members, name="members"),
    path("members/requests/<int:pk>/approve/", views.request_approve, name="request_approve"),
    path("members/requests/<int:pk>/reject/", views.request_reject, name="request_reject"),
]
