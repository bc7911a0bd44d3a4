"""The second factor: one TOTP device per person, set up by scanning a QR code.

A device is created unconfirmed when the set-up page first opens and stays the same until
a code from it is accepted, so that reloading the page does not invalidate a scanned code.
Wrong codes are throttled by django-otp (``verify_is_allowed``: waits of 1, 2, 4 … seconds,
times OTP_TOTP_THROTTLE_FACTOR).
"""

from base64 import b32encode
from dataclasses import dataclass

import django_otp
import segno
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.accounts.models import User
from portal.audit.services import audit_record

DEVICE_NAME = "authenticator"


@dataclass(frozen=True)
class CodeCheck:
    accepted: bool
    message: str = ""


def confirmed_device(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def has_second_factor(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def pending_device(*, user: User) -> TOTPDevice:
    """The unconfirmed device the set-up page shows, created on first visit."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def secret_base32(device: TOTPDevice) -> str:
    """The key as people type it into an app: base32 in groups of four."""
    secret = b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// link as an SVG QR code in a data: URI (the CSP allows data: images)."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def check_code(device: TOTPDevice, token: str) -> CodeCheck:
    """Verify a code against the device, refusing while the device is throttled."""
    allowed, details = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(False, _throttled_message(details or {}))
    if device.verify_token(token):
        return CodeCheck(True)
    return CodeCheck(False, _("This code is not correct or has expired. Enter the current code."))


def _throttled_message(details: dict) -> str:
    locked_until = details.get("locked_until")
    if locked_until is None:
        return _("Too many wrong codes. Please wait a moment and try again.")
    seconds = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
    return ngettext(
        "Too many wrong codes. Please wait %(seconds)d second and try again.",
        "Too many wrong codes. Please wait %(seconds)d seconds and try again.",
        seconds,
    ) % {"seconds": seconds}


def second_factor_confirm(*, request: HttpRequest, device: TOTPDevice) -> TOTPDevice:
    """Mark a freshly verified device as the user's second factor and verify the session."""
    with transaction.atomic():
        # One confirmed device per person: a new set-up replaces an older one.
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        audit_record(actor=request.user, action="account.second_factor_setup", obj=request.user)
    second_factor_login(request=request, device=device)
    return device


def second_factor_login(*, request: HttpRequest, device: TOTPDevice) -> None:
    # A session that gains rights gets a new key, as Django does at sign-in.
    request.session.cycle_key()
    django_otp.login(request, device)
