"""Money as people read it: Decimal yuan in the database, 万元 (10,000 yuan) on pages, in
exports and in PDFs, rounded half up to the cent. One place, so that a page, a spreadsheet
and a notice show the same digits."""

from decimal import ROUND_HALF_UP, Decimal

TEN_THOUSAND = Decimal(10000)
CENT = Decimal("0.01")


def to_wan(yuan: Decimal) -> Decimal:
    """20000000 → Decimal("2000.00")."""
    return (yuan / TEN_THOUSAND).quantize(CENT, rounding=ROUND_HALF_UP)


def wan_text(yuan: Decimal) -> str:
    """20000000 → "2,000.00": the same digits in every language (the unit is the caller's)."""
    return f"{to_wan(yuan):,}"
