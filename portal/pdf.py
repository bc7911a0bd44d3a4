"""Rendering HTML to PDF with WeasyPrint, Chinese typesetting included.

One ``FontConfiguration`` and one parsed base stylesheet per process: building them costs
more than laying out a short document, so workers build them once at start
(``warm()``, called from Celery's ``worker_process_init``). WeasyPrint's image cache is
deliberately not shared between documents (documents carry different QR codes, and a
shared cache grows without bound), and ``full_fonts`` is never used: fonts are subset.
"""

import functools
import logging
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

BASE_CSS_PATH = Path(settings.BASE_DIR) / "templates" / "pdf" / "base.css"


@functools.cache
def _font_config():  # noqa: ANN202 — weasyprint types are imported lazily
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@functools.cache
def _base_css():  # noqa: ANN202
    from weasyprint import CSS

    return CSS(filename=str(BASE_CSS_PATH), font_config=_font_config())


def warm() -> None:
    """Build the shared font configuration and stylesheet; warn when Chinese cannot print."""
    from portal import pdf_environment

    for problem in pdf_environment.problems():
        logger.warning("PDF: %s %s", problem.message, problem.hint)
    _base_css()


def render_pdf(html: str, *, base_url: str | None = None, stylesheets: tuple = ()) -> bytes:
    """The PDF of an HTML document; the base stylesheet sets A4, margins and CJK fonts."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=base_url or str(settings.BASE_DIR))
    return document.write_pdf(
        stylesheets=[_base_css(), *stylesheets],
        font_config=_font_config(),
        uncompressed_pdf=False,
    )
