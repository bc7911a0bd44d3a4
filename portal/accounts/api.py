"""The API's sign-in: exchange an email address and password for a token, and revoke it.

``POST /api/v1/auth/token/`` checks the password through ``django.contrib.auth.authenticate``
so that django-axes counts failures and locks out guessing, exactly as on the login page.
Where the portal requires a second factor (``PORTAL_REQUIRE_2FA``) and the account needs one
(bureau staff, administrators), a current code of one of the account's confirmed TOTP devices
must come along in ``otp``. ``DELETE`` on the same address deletes the caller's token.
"""

from typing import Any

from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib.auth import authenticate, user_logged_in
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from portal.accounts import otp
from portal.accounts.models import User
from portal.accounts.services import PROFILE_FIELDS, token_issue, token_revoke, user_profile_update
from portal.api_errors import ApiErrorSerializer
from portal.choices import Province


class TokenCredentialsSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    # Bounded so that nobody makes the server hash megabytes; no real password comes near.
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, write_only=True, style={"input_type": "password"}
    )
    otp = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=16,
        write_only=True,
        help_text=gettext_lazy(
            "The current code of your authenticator app; required for accounts with a second factor."
        ),
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(
        read_only=True, help_text=gettext_lazy("Send it as the header “Authorization: Token <token>”.")
    )


class LockedOut(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"


def _wrong_credentials() -> exceptions.ValidationError:
    # One message for unknown email, wrong password and inactive account: the answer must not
    # tell which accounts exist.
    return exceptions.ValidationError(
        {"non_field_errors": [_("The email address or the password is wrong.")]}, code="wrong_credentials"
    )


def _locked_out(request: Request) -> LockedOut:
    cool_off = get_cool_off(request._request)
    if not cool_off:
        return LockedOut(
            _("Too many failed sign-ins: this account is locked. Ask an administrator to unlock it.")
        )
    minutes = max(1, round(cool_off.total_seconds() / 60))
    locked = LockedOut(
        ngettext(
            "Too many failed sign-ins: this account is locked. Try again in %(minutes)d minute.",
            "Too many failed sign-ins: this account is locked. Try again in %(minutes)d minutes.",
            minutes,
        )
        % {"minutes": minutes}
    )
    locked.wait = cool_off.total_seconds()  # DRF sends it as Retry-After.
    return locked


def _authenticate(request: Request, *, email: str, password: str) -> User:
    django_request = request._request
    # Through authenticate() with the Django request, so that axes records failures and
    # refuses a locked-out account. Axes reads the login from the credential named by
    # AXES_USERNAME_FORM_FIELD ("username", or by default the user model's "email"): under
    # any other name it records failures for no account and never locks one. ModelBackend
    # takes the email under either name.
    login_field = str(settings.AXES_USERNAME_FORM_FIELD)
    user = authenticate(request=django_request, password=password, **{login_field: email})
    if getattr(django_request, "axes_locked_out", False):
        # We answer the lockout ourselves, in JSON; left set, the flag would make
        # axes' middleware replace this answer with its HTML lockout page.
        django_request.axes_locked_out = False
        raise _locked_out(request)
    if user is None:
        raise _wrong_credentials()
    return user


def _check_second_factor(user: User, code: str) -> None:
    if not (settings.PORTAL_REQUIRE_2FA and user.needs_second_factor):
        return
    device = otp.confirmed_device(user)
    if device is None:
        raise exceptions.ValidationError(
            {
                "otp": [
                    _(
                        "This account needs an authenticator app and has none set up yet. "
                        "Set one up on the website, then try again."
                    )
                ]
            },
            code="otp_not_set_up",
        )
    if not code:
        raise exceptions.ValidationError(
            {"otp": [_("A one-time code from your authenticator app is required for this account.")]},
            code="otp_required",
        )
    # The same check as the website's, throttled after wrong codes in the same way.
    check = otp.check_code(device, code)
    if not check.accepted:
        raise exceptions.ValidationError({"otp": [check.message]}, code="otp_wrong")


@extend_schema(tags=["auth"])
class TokenView(APIView):
    """Issue (POST) or revoke (DELETE) the caller's API token."""

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "token"

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        summary=gettext_lazy("Get an API token"),
        description=gettext_lazy(
            "Exchange an email address and password (and a one-time code where the account needs one) "
            "for a token. Repeated failures lock the account for a while."
        ),
        request=TokenCredentialsSerializer,
        responses={200: TokenSerializer, 400: ApiErrorSerializer, 429: ApiErrorSerializer},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        credentials = TokenCredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        data = credentials.validated_data
        user = _authenticate(request, email=data["email"].strip().lower(), password=data["password"])
        _check_second_factor(user, data.get("otp", "").replace(" ", ""))
        token = token_issue(user=user)
        # As a sign-in on the website: axes clears this account's failures, last_login moves.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response(TokenSerializer({"token": token.key}).data)

    @extend_schema(
        summary=gettext_lazy("Revoke your API token (sign out)"),
        description=gettext_lazy("Delete the caller's token; a new one is issued at the next sign-in."),
        request=None,
        responses={204: None, 401: ApiErrorSerializer},
    )
    def delete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        token_revoke(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeSerializer(serializers.ModelSerializer):
    organization = serializers.SerializerMethodField()
    # Declared: DRF drops allow_blank from read-only model fields, and the schema would then
    # leave out the empty province of everyone but bureau staff.
    province = serializers.ChoiceField(
        choices=Province.choices,
        allow_blank=True,
        read_only=True,
        help_text=gettext_lazy("The bureau's province for bureau staff; empty for everyone else."),
    )

    class Meta:
        model = User
        fields = ("id", "email", "role", "province", "organization", *PROFILE_FIELDS)
        read_only_fields = ("id", "email", "role", "province", "organization")
        # The model checks the ID number (GB 11643) and derives the birth date: validated there.
        extra_kwargs = {"id_number": {"validators": []}, "birth_date": {"required": False}}

    def get_organization(self, user: User) -> dict | None:
        unit = user.organization
        return {"id": unit.pk, "name": unit.name, "uscc": unit.uscc} if unit else None


@extend_schema(tags=["auth"])
class MeView(APIView):
    """The signed-in person's own data (GET), and changes to it (PATCH)."""

    @extend_schema(summary=gettext_lazy("Your account"), responses={200: MeSerializer})
    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    @extend_schema(
        summary=gettext_lazy("Change your own data"),
        request=MeSerializer,
        responses={200: MeSerializer, 400: ApiErrorSerializer},
    )
    def patch(self, request: Request) -> Response:
        serializer = MeSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_profile_update(user=request.user, by=request.user, **serializer.validated_data)
        return Response(MeSerializer(user).data)
