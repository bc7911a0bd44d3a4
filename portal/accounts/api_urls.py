"""Routes of the API's sign-in, included at /api/v1/auth/ by portal/urls.py."""

from django.urls import path

from portal.accounts.api import MeView, TokenView

app_name = "auth_api"

urlpatterns = [
    path("token/", TokenView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
]
