"""Account pages: sign in and out, registration and its confirmation, password change, the
second factor, account security, the profile and the person's unit."""

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from portal.accounts import otp
from portal.accounts.forms import (
    EmailAuthenticationForm,
    JoinUnitForm,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    ProfileForm,
    RegistrationForm,
    TokenForm,
    UnitRegistrationForm,
)
from portal.accounts.registration import RegistrationKind, user_register, user_register_confirm
from portal.accounts.services import user_password_changed, user_profile_update
from portal.organizations.membership import membership_request
from portal.organizations.models import MembershipStatus
from portal.organizations.permissions import can_request_membership
from portal.organizations.selectors import membership_request_latest
from portal.redirects import safe_next


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    """Sign-out by POST only (Django's own rule), with a word that it happened."""

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have signed out."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    form_class = PortalPasswordChangeForm
    success_url = reverse_lazy("accounts:security")

    @transaction.atomic
    def form_valid(self, form: object) -> HttpResponse:
        response = super().form_valid(form)
        user_password_changed(user=self.request.user, via="password_change")
        messages.success(self.request, _("Your password has been changed."))
        return response


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset.html"
    form_class = PortalPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    form_class = PortalSetPasswordForm
    success_url = reverse_lazy("accounts:login")

    @transaction.atomic
    def form_valid(self, form: object) -> HttpResponse:
        response = super().form_valid(form)
        user_password_changed(user=form.user, via="password_reset")
        messages.success(self.request, _("Your new password is set. Please sign in with it."))
        return response


def show_errors(error: ValidationError, *forms: Form) -> None:
    """Put a service's errors on the form that has the field, the others on the first form."""
    if not hasattr(error, "error_dict"):
        forms[0].add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form = next((form for form in forms if field in form.fields), None)
        if form is None:
            forms[0].add_error(None, errors)
        else:
            form.add_error(field, errors)


@never_cache
@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    """A new account: the person, then the unit to join (a researcher) or to register (a unit
    administrator). Only the part that the person chose is read and validated."""
    if request.user.is_authenticated:
        messages.info(request, _("You are signed in already: your account needs no registration."))
        return HttpResponseRedirect(reverse(settings.LOGIN_REDIRECT_URL))
    data = request.POST if request.method == "POST" else None
    kind = data.get("kind") if data is not None else None
    form = RegistrationForm(data)
    join_form = JoinUnitForm(data if kind == RegistrationKind.RESEARCHER else None, required=False)
    unit_form = UnitRegistrationForm(data if kind == RegistrationKind.UNIT else None)
    if data is not None:
        detail = unit_form if kind == RegistrationKind.UNIT else join_form
        # Both are validated, so that every mistake shows at once.
        person_valid = form.is_valid()
        if detail.is_valid() and person_valid:
            try:
                user_register(
                    email=form.cleaned_data["email"],
                    full_name=form.cleaned_data["full_name"],
                    phone=form.cleaned_data["phone"],
                    password=form.cleaned_data["password1"],
                    join=join_form.cleaned_data["organization"] if detail is join_form else None,
                    unit=unit_form.cleaned_data if detail is unit_form else None,
                )
            except ValidationError as error:
                show_errors(error, form, detail)
            else:
                return HttpResponseRedirect(reverse("accounts:register_done"))
    return render(
        request, "accounts/register.html", {"form": form, "join_form": join_form, "unit_form": unit_form}
    )


@require_GET
def register_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/register_done.html")


@never_cache
@require_GET
def register_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link of the confirmation email: it activates the account once."""
    user = user_register_confirm(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "accounts/register_invalid.html", status=400)
    messages.success(
        request, _("Your email address is confirmed and your account is active. Please sign in.")
    )
    return HttpResponseRedirect(reverse("accounts:login"))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def two_factor(request: HttpRequest) -> HttpResponse:
    """Set up the second factor (no confirmed device yet) or verify this session with it."""
    user = request.user
    next_url = safe_next(
        request,
        request.POST.get("next"),
        request.GET.get("next"),
        fallback=reverse(settings.LOGIN_REDIRECT_URL),
    )
    device = otp.confirmed_device(user)
    setting_up = device is None
    if setting_up:
        device = otp.pending_device(user=user)
    elif user.is_verified():
        messages.info(request, _("This session is already verified with your second factor."))
        return HttpResponseRedirect(next_url)

    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        check = otp.check_code(device, form.cleaned_data["token"])
        if check.accepted:
            if setting_up:
                otp.second_factor_confirm(request=request, device=device)
                messages.success(
                    request, _("Your second factor is set up. Keep your authenticator app safe.")
                )
            else:
                otp.second_factor_login(request=request, device=device)
                messages.success(request, _("Second factor verified."))
            return HttpResponseRedirect(next_url)
        form.add_error("token", check.message)

    context: dict[str, object] = {"form": form, "next": next_url, "setting_up": setting_up}
    if setting_up:
        context |= {"qr_data_uri": otp.qr_data_uri(device), "secret": otp.secret_base32(device)}
    template = "accounts/two_factor_setup.html" if setting_up else "accounts/two_factor_verify.html"
    return render(request, template, context)


@login_required
@require_GET
def security(request: HttpRequest) -> HttpResponse:
    """What protects the account: the password and whether a second factor is set up."""
    user = request.user
    return render(
        request,
        "accounts/security.html",
        {
            "has_second_factor": otp.has_second_factor(user),
            "session_verified": user.is_verified(),
            "second_factor_required": settings.PORTAL_REQUIRE_2FA and user.needs_second_factor,
            "needs_second_factor": user.needs_second_factor,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """The person's own data: name, ID or passport number, title, degree, phone."""
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data}
        if changes:
            user_profile_update(user=request.user, by=request.user, **changes)
        messages.success(request, _("Your profile is saved."))
        return HttpResponseRedirect(reverse("accounts:profile"))
    return render(request, "accounts/profile.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def unit(request: HttpRequest) -> HttpResponse:
    """The person's unit; without one, the request to join a unit and its decision."""
    user = request.user
    latest = membership_request_latest(user=user)
    pending = latest if latest is not None and latest.status == MembershipStatus.PENDING else None
    may_ask, why_not = can_request_membership(user)
    form = None
    if may_ask and pending is None:
        form = JoinUnitForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            organization = form.cleaned_data["organization"]
            try:
                membership_request(user=user, organization=organization)
            except ValidationError as error:
                show_errors(error, form)
            else:
                messages.success(
                    request,
                    _("Your request to join %(unit)s is sent; its unit administrator decides.")
                    % {"unit": organization.name},
                )
                return HttpResponseRedirect(reverse("accounts:unit"))
    elif request.method == "POST":
        messages.error(request, why_not or _("You have asked to join a unit already; wait for its decision."))
        return HttpResponseRedirect(reverse("accounts:unit"))
    context = {"latest": latest, "pending": pending, "form": form, "why_not": why_not}
    return render(request, "accounts/unit.html", context)


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin site's sign-in is the portal's. A signed-in person whom the admin sends here
    lacks access to it: say so, rather than sign-in and admin sending them back and forth.
    Someone who may use it (a bookmark, the browser's back button) goes on to the admin."""
    if request.user.is_authenticated:
        if admin.site.has_permission(request):
            return HttpResponseRedirect(
                safe_next(request, request.GET.get("next"), fallback=reverse("admin:index"))
            )
        raise PermissionDenied(_("Your account may not use the administration site."))
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse("accounts:login") + (f"?{query}" if query else ""))
