"""WeasyPrint prints Chinese on this machine: the CJK font is embedded and no glyph is missing."""

import pytest

from portal import pdf_environment
from portal.pdf import render_pdf
from tests.pdf_checks import pdf_fonts, pdf_missing_glyphs, pdf_text

CHINESE = "川渝联合研发平台 立项通知书：人工智能、大健康、生态环保、现代农业；罕见姓名用字 𫖯 𠮷"


@pytest.fixture(scope="module")
def chinese_pdf() -> bytes:
    return render_pdf(f"<h1>申报指南</h1><p>{CHINESE}</p><p><strong>加粗：经费 200.00 万元</strong></p>")


def test_the_machine_has_what_chinese_printing_needs():
    assert pdf_environment.problems() == []


def test_it_embeds_the_cjk_fonts_it_uses(chinese_pdf):
    fonts = pdf_fonts(chinese_pdf)
    assert any("CJK" in name for name in fonts), fonts
    assert all(fonts.values()), f"fonts not embedded: {fonts}"


def test_it_prints_every_chinese_character_with_a_real_glyph(chinese_pdf):
    assert pdf_missing_glyphs(chinese_pdf) == 0
    text = pdf_text(chinese_pdf)
    for phrase in ("川渝联合研发平台", "立项通知书", "𫖯", "𠮷", "200.00 万元"):
        assert phrase in text


def test_the_missing_glyph_check_can_fail():
    # A private-use character that no font covers must be counted, or the check above proves nothing.
    assert pdf_missing_glyphs(render_pdf("<p>缺字\U000f0001</p>")) == 1


def test_pages_are_a4_with_numbers_in_the_official_style(chinese_pdf):
    import io

    from pypdf import PdfReader

    page = PdfReader(io.BytesIO(chinese_pdf)).pages[0]
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in (page.mediabox.width, page.mediabox.height))
    assert round(width_mm) == 210 and round(height_mm) == 297
    assert "— 1 —" in pdf_text(chinese_pdf)
