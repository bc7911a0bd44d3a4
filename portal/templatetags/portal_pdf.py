"""Template filters for the official prints: Beijing time, 万元 and percentages."""

from decimal import Decimal
from zoneinfo import ZoneInfo

from django import template
from django.utils import timezone

register = template.Library()

TEN_THOUSAND = Decimal(10000)
BEIJING = ZoneInfo("Asia/Shanghai")


@register.filter
def wan(yuan: Decimal | None) -> str:
    """Yuan as 万元 with two decimals and thousands separators: 20000000 → "2,000.00"."""
    if yuan is None or yuan == "":
        return ""
    return f"{(Decimal(yuan) / TEN_THOUSAND).quantize(Decimal('0.01')):,}"


@register.filter
def beijing(moment) -> str:  # noqa: ANN001
    """A date and time in Beijing time, the way Chinese official documents write it."""
    if not moment:
        return ""
    local = timezone.localtime(moment, BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@register.filter
def percent(ratio: Decimal | None) -> str:
    if ratio is None:
        return ""
    return f"{(Decimal(ratio) * 100).normalize():f}%"


@register.filter
def count_field(tasks, field_id: int) -> int:  # noqa: ANN001
    return sum(1 for task in tasks if task.field_id == field_id)
