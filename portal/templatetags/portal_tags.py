"""Template filters of the portal: money in 万元, Beijing-time deadlines, shares as percents.

Money is kept as Decimal yuan everywhere; these filters only change how it is shown.
"""

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from portal.money import wan_text

register = template.Library()

BEIJING = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        # str() first, so that a float such as 0.1 is not carried over with its binary error.
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return None


@register.filter
def wan(value: object) -> str:
    """Yuan as 万元 with two decimals and thousands separators: 20000000 → "2,000.00".

    The same digits in every language, so that a bilingual reader compares like with like;
    the unit is written by the template (or by ``wan_yuan``).
    """
    amount = _decimal(value)
    return "" if amount is None else wan_text(amount)


@register.filter
def wan_yuan(value: object) -> str:
    """``wan`` with its translated unit: "2,000.00 万元", in English "2,000.00 × 10,000 yuan"."""
    amount = wan(value)
    if not amount:
        return ""
    # No-break spaces: an amount and its unit never part at a line end.
    return (_("%(amount)s × 10,000 yuan") % {"amount": amount}).replace(" ", "\u00a0")


@register.filter
def percent(value: object) -> str:
    """A share stored as a ratio (0.2) as a percentage ("20%"), without trailing zeros."""
    ratio = _decimal(value)
    if ratio is None:
        return ""
    number = (ratio * 100).quantize(CENT, rounding=ROUND_HALF_UP).normalize()
    # normalize() writes 100 as 1E+2; format it back to plain digits.
    return f"{number:f}%"


@register.filter
def beijing(value: object) -> SafeString | str:
    """A moment in Beijing time, in the page language's format, marked up as <time>.

    Deadlines are set and read in Asia/Shanghai whatever the server's or the reader's
    time zone, so the conversion is explicit here rather than left to the active zone.
    """
    if isinstance(value, datetime):
        moment = timezone.localtime(value, BEIJING) if timezone.is_aware(value) else value
        return format_html(
            '<time datetime="{}">{}</time> <span class="tz">{}</span>',
            moment.isoformat(timespec="minutes"),
            date_format(moment, "DATETIME_FORMAT"),
            _("(Beijing time)"),
        )
    if isinstance(value, date):
        return format_html(
            '<time datetime="{}">{}</time>', value.isoformat(), date_format(value, "DATE_FORMAT")
        )
    return ""


@register.filter
def minutes(value: object) -> int | str:
    """A duration as whole minutes, rounded up (a 90-second wait reads "2 minutes")."""
    if not isinstance(value, timedelta):
        return ""
    seconds = int(value.total_seconds())
    return max(0, -(-seconds // 60))
