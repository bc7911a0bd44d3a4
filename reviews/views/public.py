"""Public pages without sign-in: the announcements of proposed awards and the real-name objection form.

An announcement shows only its own columns (``reviews.selectors.publicity.announcement_rows``):
no contact details of project leaders, no scores, nothing of an award under objection but
its row. It is public from its first day; an announcement set for a later day is a 404.

The objection form is CSRF-protected like every form of the site, and an address may file at
most ``PORTAL_OBJECTIONS_PER_HOUR`` (default 5) objections an hour (counted in the cache, so
across web nodes with Redis). After filing, the person is sent to a confirmation with the
objection's reference (post/redirect/get: the reference waits in the session).
"""

import time
from typing import Any

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from portal.audit.context import client_ip_of
from reviews.models import Award, Publicity
from reviews.objection_input import MAX_NAME, MAX_TEXT, MAX_UNIT
from reviews.selectors.publicity import (
    AnnouncementRow,
    announcement_rows,
    public_publicities,
    publicity_for_public,
)
from reviews.services.publicity import (
    ObjectionInvalid,
    PublicityError,
    beijing_today,
    is_open,
    objection_file,
)

SESSION_FILED = "objection_filed"
RATE_WINDOW = 3600


def objections_per_hour() -> int:
    return int(getattr(settings, "PORTAL_OBJECTIONS_PER_HOUR", 5))


def _rate_key(ip: str | None) -> str:
    return f"objections:ip:{ip or 'unknown'}:{int(time.time() // RATE_WINDOW)}"


def rate_limited(ip: str | None) -> bool:
    return (cache.get(_rate_key(ip)) or 0) >= objections_per_hour()


def rate_count(ip: str | None) -> None:
    key = _rate_key(ip)
    cache.add(key, 0, RATE_WINDOW)
    try:
        cache.incr(key)
    except ValueError:
        # Expired between add and incr.
        cache.set(key, 1, RATE_WINDOW)


class ObjectionForm(forms.Form):
    """The fields as typed; ``reviews.objection_input.clean_objection`` checks them (real
    name, phone, email, PDF) and its messages are put on the fields."""

    award = forms.TypedChoiceField(
        label=gettext_lazy("Project objected to"),
        coerce=int,
        error_messages={
            "required": gettext_lazy("Choose the project you object to."),
            "invalid_choice": gettext_lazy("Choose one of the announced projects."),
        },
    )
    name = forms.CharField(
        label=gettext_lazy("Your real name"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "name", "maxlength": MAX_NAME, "required": True}),
        help_text=gettext_lazy("Anonymous objections are not accepted."),
    )
    unit = forms.CharField(
        label=gettext_lazy("Your unit"),
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "organization", "maxlength": MAX_UNIT, "required": True}
        ),
        help_text=gettext_lazy("A unit's objection must carry its seal (attach the sealed letter as a PDF)."),
    )
    phone = forms.CharField(
        label=gettext_lazy("Phone"),
        required=False,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "tel",
                "inputmode": "tel",
                "type": "tel",
                "maxlength": 30,
                "required": True,
            }
        ),
        help_text=gettext_lazy("Mobile, or fixed line with its area code."),
    )
    email = forms.CharField(
        label=gettext_lazy("Email"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "maxlength": 254, "required": True}),
        help_text=gettext_lazy("The decision is sent to this address."),
    )
    text = forms.CharField(
        label=gettext_lazy("Objection"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": MAX_TEXT, "required": True}),
        help_text=gettext_lazy("What you object to and the facts it rests on."),
    )
    attachment = forms.FileField(
        label=gettext_lazy("Attachment (PDF, at most 10 MB, optional)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )

    def __init__(self, *args: Any, rows: list[AnnouncementRow], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["award"].choices = [("", "—")] + [
            (row.award_id, f"{row.number}. {row.title}") for row in rows if row.objectable
        ]


@require_GET
def announcement_list(request: HttpRequest) -> HttpResponse:
    """Every announcement that has begun, the newest first."""
    today = beijing_today()
    publicities = public_publicities(today)
    for publicity in publicities:
        publicity.is_open = is_open(publicity, today)
    return render(request, "reviews/public/announcement_list.html", {"publicities": publicities})


def _announcement_context(publicity: Publicity, rows: list[AnnouncementRow]) -> dict[str, Any]:
    return {
        "publicity": publicity,
        "call": publicity.call,
        "rows": rows,
        "is_open": is_open(publicity),
        "objectable": any(row.objectable for row in rows),
    }


@require_GET
def announcement(request: HttpRequest, call_pk: int) -> HttpResponse:
    """The announcement of one call: its window, the list and how to object."""
    publicity = publicity_for_public(call_pk=call_pk)
    rows = announcement_rows(publicity.call)
    return render(request, "reviews/public/announcement.html", _announcement_context(publicity, rows))


@require_http_methods(["GET", "POST"])
def objection_new(request: HttpRequest, call_pk: int) -> HttpResponse:
    """The real-name objection form of an open announcement; after filing, the confirmation."""
    publicity = publicity_for_public(call_pk=call_pk)
    if request.method == "GET" and request.GET.get("filed"):
        filed = request.session.pop(SESSION_FILED, None)
        if filed and filed.get("call_id") == publicity.call_id:
            context = {
                "publicity": publicity,
                "call": publicity.call,
                "token": filed["token"],
                "project": filed["project"],
            }
            response = render(request, "reviews/public/objection_filed.html", context)
            response["Cache-Control"] = "private, no-store"
            return response
        return redirect("public:objection_new", call_pk=publicity.call_id)

    rows = announcement_rows(publicity.call)
    context = _announcement_context(publicity, rows)
    if not context["is_open"]:
        return render(
            request,
            "reviews/public/objection_form.html",
            context,
            status=409 if request.method == "POST" else 200,
        )

    if request.method == "GET":
        wanted = request.GET.get("award", "")
        initial = {"award": wanted} if wanted.isascii() and wanted.isdigit() else {}
        form = ObjectionForm(rows=rows, initial=initial)
        return _form_page(request, context, form)

    ip = client_ip_of(request)
    if rate_limited(ip):
        context["limited"] = True
        return _form_page(request, context, ObjectionForm(request.POST, rows=rows), status=429)
    form = ObjectionForm(request.POST, request.FILES, rows=rows)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        award = Award.objects.filter(pk=data["award"], call_id=publicity.call_id).first()
        try:
            if award is None:
                raise PublicityError(_("Choose one of the announced projects."), "not_announced", "award")
            objection = objection_file(
                publicity=publicity,
                award=award,
                name=data["name"],
                unit=data["unit"],
                phone=data["phone"],
                email=data["email"],
                text=data["text"],
                attachment=data["attachment"],
                ip=ip,
            )
        except ObjectionInvalid as invalid:
            for field, message in invalid.errors.items():
                form.add_error(field if field in form.fields else None, message)
        except PublicityError as error:
            if error.field in form.fields:
                form.add_error(error.field, error.message)
            else:
                # The window closed meanwhile.
                form.add_error(None, error.message)
                status = 409
        else:
            rate_count(ip)
            request.session[SESSION_FILED] = {
                "call_id": publicity.call_id,
                "token": objection.token,
                "project": award.application.title,
            }
            return redirect(reverse("public:objection_new", args=[publicity.call_id]) + "?filed=1")
    return _form_page(request, context, form, status=status)


def _form_page(
    request: HttpRequest, context: dict[str, Any], form: ObjectionForm, status: int = 200
) -> HttpResponse:
    response = render(request, "reviews/public/objection_form.html", {**context, "form": form}, status=status)
    # The form may hold what a person typed about themselves: keep it out of shared caches.
    response["Cache-Control"] = "private, no-store"
    return response
