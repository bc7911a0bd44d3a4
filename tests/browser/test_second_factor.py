"""In Chromium, with the second factor required (as in production): bureau staff set up an
authenticator from the QR page, confirm a code, and only then reach their home page."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP

from tests.browser.pages import DESKTOP, new_page, sign_in

pytestmark = pytest.mark.browser


def current_code(secret: str) -> str:
    key = secret.replace(" ", "")
    key += "=" * (-len(key) % 8)
    return f"{TOTP(b32decode(key)).token():06d}"


def test_staff_set_up_their_authenticator_before_they_can_act(browser, demo, settings):
    settings.PORTAL_REQUIRE_2FA = True
    settings.OTP_TOTP_THROTTLE_FACTOR = 1  # a wrong code makes the next wait 1 s (5 s in production)
    page, problems = new_page(browser, DESKTOP)

    sign_in(page, demo, "staff.cq@demo.test")
    assert "/accounts/2fa/" in page.url
    assert page.locator("img.qr").is_visible()
    page.goto(f"{demo}/calls/")  # any other page sends them back
    assert "/accounts/2fa/" in page.url

    page.fill("#id_token", "000000")
    page.get_by_role("button", name="确认").click()
    assert page.locator(".errorlist").first.is_visible()
    page.wait_for_timeout(1100)

    page.fill("#id_token", current_code(page.locator("#totp-secret").inner_text()))
    page.get_by_role("button", name="确认").click()
    page.wait_for_load_state()
    assert "/accounts/2fa/" not in page.url
    assert page.locator(".header-tools .role-badge").inner_text() == "重庆科技主管部门工作人员"
    assert problems.messages == []
