"""In Chromium, through the pages: the two bureaus decide and announce, the public objects, the
notices are built, and the project leader downloads theirs.

Chongqing staff shortlist two reviewed healthcare applications and propose their awards with
the default amounts; Chongqing and then Sichuan staff approve each; Chongqing staff start the
public announcement; a visitor without an account reads it and files a real-name objection;
staff dismiss it with a reason; once the window is over (moved into the past here: five
working days cannot pass in a test) staff close it, the awards are final, and the notice
batch runs with its progress bar; the project leader signs in, finds the notice and
downloads the PDF, whose number the public verification page confirms.

Buttons are found by their form's action and value, not by their words, so the test does not
depend on the catalogue; the screenshots are in Chinese.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from applications.demo import demo_call
from applications.models import Application, ApplicationStatus
from portal.accounts.models import User
from reviews.models import Award, AwardStatus, FundingNotice, NoticeStatus, Objection, Publicity
from tests.browser.pages import DESKTOP, PHONE, expect, fits_the_screen, new_page, shoot, sign_in, sign_out
from tests.reviews.award_helpers import make_candidate

pytestmark = pytest.mark.browser

STAFF_CQ = "staff.cq@demo.test"
STAFF_SC = "staff.sc@demo.test"
PI = "applicant.cq@demo.test"
TITLES = ("川渝基层医疗协同诊断关键技术研究", "成渝慢性病智能随访平台研发")


def submit(page, selector: str) -> None:
    """Click a submit button and wait for the page the form leads to."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def approve_all(page, base: str, call_pk: int) -> None:
    page.goto(f"{base}/review/calls/{call_pk}/awards/")
    for _ in range(len(TITLES)):
        submit(page, "button[form^=approve-]")


def test_two_bureaus_decide_announce_and_issue_the_notices(browser, demo):
    call = demo_call()
    first = make_candidate(
        call, field="health", province="CQ", score="88", status=ApplicationStatus.REVIEWED, title=TITLES[0]
    )
    make_candidate(
        call, field="health", province="SC", score="84", status=ApplicationStatus.REVIEWED, title=TITLES[1]
    )
    Application.objects.filter(pk=first.pk).update(pi=User.objects.get(email=PI))

    page, problems = new_page(browser, DESKTOP)
    sign_in(page, demo, STAFF_CQ)

    # The shortlist, then an award for each with the amounts it asked for.
    page.goto(f"{demo}/review/calls/{call.pk}/awards/")
    for checkbox in page.locator("input[name=applications]").all():
        checkbox.check()
    submit(page, "#shortlist-form button[name=shortlisted][value='1']")
    assert Application.objects.filter(call=call, status=ApplicationStatus.SHORTLISTED).count() == 2
    for application in Application.objects.filter(call=call, title__in=TITLES):
        page.goto(f"{demo}/review/applications/{application.pk}/award/")
        submit(page, "button[name=action][value=save]")
    assert Award.objects.filter(call=call, status=AwardStatus.PROPOSED).count() == 2

    # Joint approval: Chongqing, then Sichuan.
    approve_all(page, demo, call.pk)
    assert Award.objects.filter(call=call, status=AwardStatus.APPROVED_CQ).count() == 2
    sign_out(page)
    sign_in(page, demo, STAFF_SC)
    approve_all(page, demo, call.pk)
    assert Award.objects.filter(call=call, status=AwardStatus.APPROVED).count() == 2
    shoot(page, "awards.png", full_page=True)
    sign_out(page)

    # The announcement starts today.
    sign_in(page, demo, STAFF_CQ)
    page.goto(f"{demo}/review/calls/{call.pk}/publicity/")
    page.fill("[name=start_date]", timezone.localdate().isoformat())
    submit(page, "form:has(input[name=action][value=start]) button[type=submit]")
    publicity = Publicity.objects.filter(call=call).first()
    assert publicity is not None, page.locator("main").inner_text()
    assert Award.objects.filter(call=call, status=AwardStatus.ANNOUNCED).count() == 2
    sign_out(page)

    # Anyone reads it and may object in their real name.
    visitor, visitor_problems = new_page(browser, DESKTOP)
    visitor.goto(f"{demo}/announcements/")
    visitor.locator(f"a[href$='/announcements/{call.pk}/']").first.click()
    expect(visitor.locator("main")).to_contain_text(TITLES[0])
    shoot(visitor, "announcement.png", full_page=True)
    visitor.goto(f"{demo}/announcements/{call.pk}/objection/")
    visitor.select_option("select[name=award]", str(first.award.pk))
    visitor.fill("[name=name]", "王晓明")
    visitor.fill("[name=unit]", "成都某生物科技有限公司")
    visitor.fill("[name=phone]", "13812345678")
    visitor.fill("[name=email]", "wang.xiaoming@example.test")
    visitor.fill("[name=text]", "该项目的部分研究内容与我单位已结题项目重复，请核查。")
    submit(visitor, "main form[enctype] button[type=submit]")
    objection = Objection.objects.get(publicity=publicity)
    expect(visitor.locator("main")).to_contain_text(objection.token)
    assert visitor_problems.messages == []

    phone, phone_problems = new_page(browser, PHONE)
    phone.goto(f"{demo}/announcements/{call.pk}/")
    assert fits_the_screen(phone)
    shoot(phone, "announcement-phone.png", full_page=True)
    assert phone_problems.messages == []

    # Staff dismiss the objection with a reason; the window is then over and they close it.
    sign_in(page, demo, STAFF_CQ)
    page.goto(f"{demo}/review/objections/{objection.pk}/")
    page.locator("input[name=decision][value=dismissed]").check()
    page.fill("[name=reason]", "经核查，研究内容不重复，异议不成立。")
    submit(page, f"form[action$='/objections/{objection.pk}/'] button[type=submit]")
    assert Objection.objects.get(pk=objection.pk).status == "dismissed"
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=publicity.starts_on - timedelta(days=21), ends_on=publicity.starts_on - timedelta(days=14)
    )
    page.goto(f"{demo}/review/calls/{call.pk}/publicity/")
    submit(page, "form:has(input[name=action][value=close]) button[type=submit]")
    assert Award.objects.filter(call=call, status=AwardStatus.FINAL).count() == 2

    # The dashboard: quota and budget use as charts, counts by status.
    page.goto(f"{demo}/review/calls/{call.pk}/dashboard/")
    expect(page.locator("canvas").first).to_be_visible()
    shoot(page, "dashboard.png", full_page=True)

    # The batch: a progress bar, then every notice built once.
    page.goto(f"{demo}/review/calls/{call.pk}/notices/")
    submit(page, "main form button[type=submit]")
    expect(page.locator("main")).to_contain_text(re.compile(r"2\s*/\s*2"), timeout=60_000)
    shoot(page, "notices.png", full_page=True)
    assert FundingNotice.objects.filter(award__call=call, status=NoticeStatus.DONE).count() == 2
    assert problems.messages == []
    sign_out(page)

    # The project leader finds the notice and downloads it; the public page confirms it.
    notice = FundingNotice.objects.get(award__application=first, current=True)
    sign_in(page, demo, PI)
    page.goto(f"{demo}/review/notices/mine/")
    page.get_by_role("link", name=notice.number).click()
    with page.expect_download() as download:
        page.locator(f"a[href$='/notices/{notice.pk}/pdf/']").first.click()
    assert download.value.suggested_filename.endswith(".pdf")
    visitor.goto(f"{demo}/notices/verify/{notice.verification_code}/")
    expect(visitor.locator("main")).to_contain_text(notice.number)
    expect(visitor.locator("main")).to_contain_text(notice.sha256)
    shoot(visitor, "notice-verify.png", full_page=True)
    assert re.search(r"川渝联研〔2021〕\d+号", notice.number)
