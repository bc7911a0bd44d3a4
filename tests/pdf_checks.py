"""Reading PDFs back in tests: text, embedded fonts, and glyphs that no font had.

A glyph that no installed font covers is drawn as glyph 0 (.notdef, the empty box). In the
Identity-H fonts that WeasyPrint writes, text is a string of 2-byte glyph ids, so a 0 id in
a text-showing operator is a missing-glyph box.
"""

import io

from pypdf import PdfReader
from pypdf.generic import ByteStringObject, ContentStream, TextStringObject


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def pdf_fonts(pdf: bytes) -> dict[str, bool]:
    """Base font name → whether the font program is embedded in the file."""
    fonts: dict[str, bool] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descriptor = font.get("/FontDescriptor")
            for descendant in font.get("/DescendantFonts") or []:
                descriptor = descendant.get_object().get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            embedded = any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3"))
            fonts[str(font["/BaseFont"])] = embedded
    return fonts


# .notdef is glyph 0; Pango marks a character that no font has with 0xFFFF.
MISSING_GLYPH_IDS = (0, 0xFFFF)


def _glyph_ids(item: object) -> list[int]:
    if isinstance(item, TextStringObject):
        data = item.get_original_bytes()
    elif isinstance(item, ByteStringObject):
        data = bytes(item)
    else:
        return []
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data) - 1, 2)]


def pdf_missing_glyphs(pdf: bytes) -> int:
    """How many glyphs were drawn as the missing-glyph box."""
    reader = PdfReader(io.BytesIO(pdf))
    missing = 0
    for page in reader.pages:
        content = ContentStream(page.get_contents(), reader)
        for operands, operator in content.operations:
            items = operands[0] if operator == b"TJ" else operands[:1] if operator == b"Tj" else []
            missing += sum(glyph in MISSING_GLYPH_IDS for item in items for glyph in _glyph_ids(item))
    return missing
