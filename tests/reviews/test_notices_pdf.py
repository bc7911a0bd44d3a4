"""The funding notice's PDF, read back: number, both bureaus, title, units, amounts in 万元,
dates, page numbers, the verification code; Chinese glyphs present and embedded, no
missing-glyph boxes; applicant text escaped; the fingerprint of the stored file."""

import hashlib
import io
import re
from decimal import Decimal

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from applications.models import BudgetLine, Partner
from portal import pdf_environment
from reviews.models import AwardStatus, FundingNotice
from reviews.notice_document import notice_for_render, notice_html
from reviews.services.notices import notices_batch_start
from tests.conftest import need
from tests.factories import OrganizationFactory
from tests.pdf_checks import pdf_fonts, pdf_missing_glyphs, pdf_text
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_staff

pytestmark = pytest.mark.django_db

TITLE = "成渝地区双城经济圈工业互联网平台关键技术研究与示范"
RARE_UNIT = "四川𫖯𠮷新材料研究院有限公司"  # characters that smaller CJK fonts lack


@pytest.fixture(scope="module")
def pdf_machine() -> None:
    problems = pdf_environment.problems()
    need(not problems, "PDF printing needs: " + "; ".join(f"{p.message} {p.hint}" for p in problems))


@pytest.fixture
def award():
    award = make_award(
        status=AwardStatus.FINAL,
        title=TITLE,
        amount_sc=Decimal("600000"),
        amount_cq=Decimal("850000"),
    )
    application = award.application
    application.number_sc = "2021YFQ0001-LH"
    application.number_cq = "cstc2021jscx-cylhX0003"
    application.save(update_fields=["number_sc", "number_cq"])
    rare = OrganizationFactory(sichuan=True, name=RARE_UNIT)
    Partner.objects.create(
        application=application, position=2, organization=rare, name=rare.name, uscc=rare.uscc, province="SC"
    )
    BudgetLine.objects.create(
        application=application,
        unit_uscc=application.lead_unit.uscc,
        category="operating",
        source="self",
        amount=Decimal("300000"),
    )
    BudgetLine.objects.create(
        application=application,
        unit_uscc=rare.uscc,
        category="labour",
        source="self",
        amount=Decimal("25000"),
    )
    return award


def build(award, capture) -> tuple[FundingNotice, bytes]:
    with capture(execute=True):
        notices_batch_start(call=award.call, by=make_staff("CQ"))
    notice = FundingNotice.objects.get(award=award, current=True)
    with default_storage.open(notice.file.name, "rb") as stored:
        return notice, stored.read()


def test_the_notice_prints_its_number_project_units_and_amounts(
    pdf_machine, award, django_capture_on_commit_callbacks
):
    notice, pdf = build(award, django_capture_on_commit_callbacks)
    text = pdf_text(pdf)
    flat = re.sub(r"\s+", "", text)

    assert hashlib.sha256(pdf).hexdigest() == notice.sha256
    assert "川渝联研〔2021〕1号" in flat
    assert "四川省科学技术厅" in flat and "重庆市科学技术局" in flat and "文件" in flat
    assert "2021年川渝联合实施重点研发项目立项通知书" in flat
    assert TITLE in flat
    assert award.application.lead_unit.name in flat and award.application.lead_unit.uscc in flat
    assert RARE_UNIT in flat
    assert "2021YFQ0001-LH" in flat and "cstc2021jscx-cylhX0003" in flat
    assert award.application.pi.full_name in flat
    # Government funding in 万元: 60 from Sichuan, 85 from Chongqing, 145 in all; self-raised 32.5.
    assert "财政资助经费共计145.00万元" in flat
    assert "四川省科学技术厅资助60.00万元" in flat and "重庆市科学技术局资助85.00万元" in flat
    assert "单位自筹经费32.50万元" in flat
    assert "年度" in flat and "中期检查" in flat and "结题验收" in flat
    assert notice.verification_code in flat
    assert f"/notices/verify/{notice.verification_code}/" in flat
    # The date in Arabic numerals without padding, and the contract's deadline 30 days on.
    assert re.search(r"20\d\d年[1-9]\d?月[1-9]\d?日印发", flat)
    assert re.search(r"于20\d\d年[1-9]\d?月[1-9]\d?日前", flat)


def test_chinese_prints_with_embedded_fonts_and_no_missing_glyph(
    pdf_machine, award, django_capture_on_commit_callbacks
):
    _notice, pdf = build(award, django_capture_on_commit_callbacks)

    assert pdf_missing_glyphs(pdf) == 0
    fonts = pdf_fonts(pdf)
    assert fonts and all(fonts.values()), fonts
    assert any("CJK" in name for name in fonts)


def test_the_notice_is_a4_with_page_numbers_in_dashes(pdf_machine, award, django_capture_on_commit_callbacks):
    _notice, pdf = build(award, django_capture_on_commit_callbacks)
    reader = PdfReader(io.BytesIO(pdf))

    assert 2 <= len(reader.pages) <= 4
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (595, 842)  # A4 in points
        assert f"— {number} —" in (page.extract_text() or "")


def test_applicant_text_is_escaped_in_the_notice(award):
    application = award.application
    application.title = '<img src="x" onerror="alert(1)">注入&测试'
    application.save(update_fields=["title"])
    award.notice_number = "川渝联研〔2021〕1号"
    award.save(update_fields=["notice_number"])
    notice = FundingNotice.objects.create(
        award=award, number=award.notice_number, verification_code="00000000000000AA"
    )

    html = notice_html(notice_for_render(notice.pk))

    assert '<img src="x"' not in html
    assert "&lt;img src=&quot;x&quot; onerror=&quot;alert(1)&quot;&gt;注入&amp;测试" in html


def test_the_document_costs_the_same_queries_for_many_units(award, django_assert_max_num_queries):
    application = award.application
    for index in range(20):
        unit = OrganizationFactory()
        Partner.objects.create(
            application=application,
            position=3 + index,
            organization=unit,
            name=unit.name,
            uscc=unit.uscc,
            province="CQ",
        )
    notice = FundingNotice.objects.create(
        award=award, number="川渝联研〔2021〕1号", verification_code="00000000000000AB"
    )

    # The notice with its award, call, field, application, units, leader and approvers; the
    # shares, the partners and the self-raised lines.
    with django_assert_max_num_queries(4):
        html = notice_html(notice_for_render(notice.pk))
    assert html.count("统一社会信用代码") == 23  # the lead unit and 22 partners
