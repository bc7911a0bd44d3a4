"""Account pages: sign in and out, password change, the second factor and account security."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from portal.accounts import otp
from portal.accounts.forms import (
    EmailAuthenticationForm,
    PortalPasswordChangeForm,
    PortalPasswordResetForm,
    PortalSetPasswordForm,
    ProfileForm,
    TokenForm,
)
from portal.accounts.services import user_password_changed, user_profile_update
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


def admin_login(request: HttpRequest) -> HttpResponse:
    """The admin site's sign-in is the portal's. A signed-in person whom the admin sends here
    lacks access to it: say so, rather than sign-in and admin sending them back and forth."""
    if request.user.is_authenticated:
        raise PermissionDenied(_("Your account may not use the administration site."))
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(reverse("accounts:login") + (f"?{query}" if query else ""))
