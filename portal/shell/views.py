"""The site shell: the home page of each role, the language switch and the error pages."""

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    HttpResponseServerError,
)
from django.shortcuts import render
from django.template import TemplateDoesNotExist, loader
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET, require_POST

from applications import selectors
from applications.models import ApplicationStatus, CallStatus
from applications.workflow import STATES
from portal.accounts.roles import Role
from portal.redirects import safe_next
from portal.shell.navigation import optional_url
from reviews.selectors.workspace import assignment_counts

HOME_TEMPLATES = {
    Role.APPLICANT: "shell/home_applicant.html",
    Role.UNIT_ADMIN: "shell/home_unit_admin.html",
    Role.BUREAU_STAFF: "shell/home_bureau_staff.html",
    Role.REVIEWER: "shell/home_reviewer.html",
    Role.ADMIN: "shell/home_admin.html",
}


HOME_ROWS = 5


def home_applications(user: object) -> dict[str, object]:
    """An applicant's latest applications, or the applications waiting for a unit
    administrator's endorsement (one query each; one row more than shown tells if there is more)."""
    if user.role == Role.UNIT_ADMIN:
        rows = list(
            selectors.applications_of_unit(user)
            .filter(status=ApplicationStatus.SUBMITTED)
            .order_by("call__endorse_deadline", "submitted_at", "id")[: HOME_ROWS + 1]
        )
        key = "waiting_applications"
    else:
        rows = list(selectors.applications_of_user(user)[: HOME_ROWS + 1])
        key = "my_applications"
    for application in rows:
        application.status_label = STATES[application.status].applicant_label
    return {key: rows[:HOME_ROWS], f"{key}_more": len(rows) > HOME_ROWS}


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Anonymous visitors get the public landing page; a signed-in user the home of the role."""
    context: dict[str, object] = {"now": timezone.now()}
    user = request.user
    if not user.is_authenticated:
        context |= {"open_calls": selectors.calls_open(), "fields": selectors.research_fields()}
        return render(request, "shell/landing.html", context)

    role = user.role
    if role in (Role.APPLICANT, Role.UNIT_ADMIN):
        context["open_calls"] = selectors.calls_open()
        context |= home_applications(user)
    elif role == Role.BUREAU_STAFF:
        # Staff see every call, drafts included, each with the budget of their own province.
        calls = selectors.calls_in_status(*(code for code in CallStatus.values if code != CallStatus.CLOSED))
        context["province_calls"] = [(call, call.budget_of(user.province)) for call in calls]
    elif role == Role.REVIEWER:
        context["review_calls"] = selectors.calls_in_status(CallStatus.REVIEW)
        context["assignment_counts"] = assignment_counts(user)
    elif role == Role.ADMIN:
        context["audit_url"] = optional_url("admin:audit_auditevent_changelist")
        context["calls_admin_url"] = optional_url("admin:applications_fundingcall_changelist")
        context["users_admin_url"] = optional_url("admin:accounts_user_changelist")
        context["open_calls"] = selectors.calls_open()
    return render(request, HOME_TEMPLATES.get(role, "shell/home_applicant.html"), context)


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the page language: only the configured languages, remembered in a cookie."""
    code = request.POST.get("language", "")
    languages = dict(settings.LANGUAGES)
    if code not in languages:
        choices = ", ".join(languages)
        message = _(
            "Unknown language “%(code)s” in the parameter “language”. Choose one of: %(choices)s."
        ) % {"code": code, "choices": choices}
        return bad_request(request, None, message=message)
    response = HttpResponseRedirect(
        safe_next(request, request.POST.get("next"), request.headers.get("referer"), fallback="/")
    )
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


# Error pages. 400, 403 and 404 render with the request (the visitor's language and the
# navigation); 500 renders with no request context at all, since the database or a context
# processor may be what failed.


@requires_csrf_token
def bad_request(
    request: HttpRequest, exception: Exception | None = None, *, message: str = ""
) -> HttpResponse:
    # Only messages written for the visitor are shown; an exception's text may leak internals.
    return render(request, "errors/400.html", {"message": message}, status=400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    # PermissionDenied("…") raised by our views carries the reason of a can_x() check.
    reason = str(exception) if exception is not None and exception.args else ""
    return render(request, "errors/403.html", {"reason": reason}, status=403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "errors/404.html", {"request_path": request.path}, status=404)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    try:
        template = loader.get_template("errors/500.html")
    except TemplateDoesNotExist:
        return HttpResponseServerError(
            "<!doctype html><title>500</title><h1>Server error (500)</h1>", content_type="text/html"
        )
    return HttpResponseServerError(template.render())
