"""In Chromium: staff print the call's guide and watch it finish; a person corrects a wrong ID
number on their profile after the page named the rule it broke."""

import io

import pytest
from pypdf import PdfReader

from applications.models import FundingCall
from tests.browser.pages import DESKTOP, new_page, sign_in

pytestmark = pytest.mark.browser


def test_staff_print_the_guide_again_and_download_it(browser, demo):
    page, problems = new_page(browser, DESKTOP)
    sign_in(page, demo, "staff.sc@demo.test")
    # Not /calls/1/: PostgreSQL does not reset its sequences between tests.
    page.goto(f"{demo}/calls/{FundingCall.objects.get().pk}/")
    first = page.locator(".guide code").get_attribute("title")
    page.get_by_role("button", name="重新生成申报指南").click()
    # The progress polls itself and reloads the page when the job is done.
    page.get_by_role("status").wait_for()
    page.wait_for_load_state("load")
    page.get_by_role("link", name="下载申报指南").wait_for()
    assert page.locator(".guide code").get_attribute("title") == first  # same content, same fingerprint
    href = page.get_by_role("link", name="下载申报指南").get_attribute("href")
    response = page.request.get(f"{demo}{href}")
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.body()
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages[:1])
    assert "2021年川渝联合实施重点研发项目申报指南" in text
    assert problems.messages == []


def test_a_wrong_id_number_is_named_and_the_corrected_one_saved(browser, demo):
    page, problems = new_page(browser, DESKTOP)
    sign_in(page, demo, "applicant.sc@demo.test")
    page.goto(f"{demo}/accounts/profile/")
    page.fill("#id_id_number", "110105194912310021")
    page.get_by_role("button", name="保存").click()
    error = page.locator(".errorlist").first.inner_text()
    assert "GB 11643" in error and "X" in error
    page.fill("#id_id_number", "11010519491231002X")
    page.get_by_role("button", name="保存").click()
    assert page.locator(".messages").inner_text().strip() != ""
    assert page.input_value("#id_birth_date") == "1949-12-31"
    assert problems.messages == []
