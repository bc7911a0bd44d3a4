"""Pages of one application (placeholder until the application pages land)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from applications.selectors import application_get_for_user


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = application_get_for_user(user=request.user, pk=pk)
    return render(request, "applications/application_detail.html", {"application": application})
