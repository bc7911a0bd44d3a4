"""Routes of the units API, included at /api/v1/ by portal/urls.py."""

from django.urls import path

from portal.organizations.api import OrganizationListView

urlpatterns = [path("organizations/", OrganizationListView.as_view(), name="api-organizations")]
