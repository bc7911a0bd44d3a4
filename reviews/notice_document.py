"""The funding notice (立项通知书) as a document: what it prints and its HTML.

Laid out after GB/T 9704-2012 (the official-document standard): A4 with margins of
37/35/28/26 mm (``templates/pdf/base.css``), the two bureaus as a red issuing-authority
header with a red rule under the document number (川渝联研〔2021〕1号: no 第, no zero
padding), title, addressee (the lead unit), body, the two bureaus with the date in Arabic
numerals (2021年8月24日), page numbers as — 1 —, and a 版记 at the end. The project's facts,
its government funding per side and per unit (from the award's shares), the self-raised
funds (the budget lines of source ``self``), the deadline of the task contract, the
reporting duties and the contacts follow; a verification code and a QR code open the
public page (``public:notice_verify``) that shows the PDF's fingerprint.

The document is official, so its fixed wording is Chinese and written here and in
``templates/pdf/notice.html``, like the printed application (``applications/printing.py``).
Every value that comes from an applicant or a unit is autoescaped by the template.

``notice_stylesheet()`` is parsed once per process (with the renderer's shared font
configuration); ``render_pdf`` adds the base stylesheet.
"""

import functools
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import BudgetLine, BudgetSource, Partner
from applications.printing import BUREAU, chinese_date, period, qr_data_uri
from portal.choices import Province
from portal.money import wan_text
from reviews.models import AwardShare, FundingNotice

BEIJING = ZoneInfo("Asia/Shanghai")
NOTICE_CSS_PATH = Path(settings.BASE_DIR) / "templates" / "pdf" / "notice.css"
ZERO = Decimal(0)
# The lead unit signs the task contract within this many days of the notice's date.
CONTRACT_DAYS = 30
# Bureaus in the order of the header and the signature: the joint notice names both.
ISSUERS = (BUREAU[Province.SC], BUREAU[Province.CQ])
PROVINCE_NAMES = {Province.SC: "四川", Province.CQ: "重庆", Province.OTHER: "其他"}


def wan(value: Decimal | None) -> str:
    """Yuan as 万元 with two decimals and thousands separators (``1234500`` → ``123.45``)."""
    return wan_text(value or ZERO)


@dataclass
class FundingRow:
    name: str
    uscc: str
    province: str
    role: str
    sc: Decimal
    cq: Decimal
    self_raised: Decimal

    @property
    def government(self) -> Decimal:
        return self.sc + self.cq

    @property
    def cells(self) -> list[str]:
        return [wan(self.sc), wan(self.cq), wan(self.government), wan(self.self_raised)]


def notice_for_render(notice_id: int) -> FundingNotice:
    """The notice with everything the document prints loaded in a fixed number of queries."""
    return (
        FundingNotice.objects.select_related(
            "award__call",
            "award__field",
            "award__application__guide_task",
            "award__application__lead_unit",
            "award__application__pi",
            "award__approved_sc_by",
            "award__approved_cq_by",
        )
        .prefetch_related(
            Prefetch("award__shares", queryset=AwardShare.objects.order_by("province", "id")),
            Prefetch("award__application__partners", queryset=Partner.objects.order_by("position", "id")),
            Prefetch(
                "award__application__budget",
                queryset=BudgetLine.objects.filter(source=BudgetSource.SELF),
                to_attr="self_raised_lines",
            ),
        )
        .get(pk=notice_id)
    )


def funding_rows(notice: FundingNotice) -> list[FundingRow]:
    """One row per unit: the lead unit, the partners in order, then any other unit that a
    share or a self-raised budget line names; government funds per side from the shares."""
    award = notice.award
    application = award.application
    lead = application.lead_unit
    units: dict[str, FundingRow] = {
        lead.uscc: FundingRow(lead.name, lead.uscc, lead.located_province, "牵头单位", ZERO, ZERO, ZERO)
    }
    for partner in application.partners.all():
        units.setdefault(
            partner.uscc,
            FundingRow(partner.name, partner.uscc, partner.province, "合作单位", ZERO, ZERO, ZERO),
        )
    for share in award.shares.all():
        row = units.setdefault(
            share.unit_uscc,
            FundingRow(share.unit_name, share.unit_uscc, share.unit_province, "合作单位", ZERO, ZERO, ZERO),
        )
        if share.province == Province.SC:
            row.sc += share.amount
        else:
            row.cq += share.amount
    for line in getattr(application, "self_raised_lines", None) or []:
        row = units.get(line.unit_uscc)
        if row is not None:
            row.self_raised += line.amount
    return list(units.values())


def notice_date(notice: FundingNotice) -> date:
    """The notice's date (成文日期): the day its version was issued, in Beijing."""
    moment = notice.created_at or timezone.now()
    return timezone.localtime(moment, BEIJING).date()


def verify_url(code: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("public:notice_verify", args=[code])


def _contact(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"name": user.full_name, "phone": user.phone, "email": user.email}


def notice_context(notice: FundingNotice) -> dict[str, Any]:
    """What ``templates/pdf/notice.html`` prints, from a notice loaded by ``notice_for_render``."""
    award = notice.award
    application = award.application
    call = award.call
    rows = funding_rows(notice)
    issued = notice_date(notice)
    total_sc = sum((r.sc for r in rows), ZERO)
    total_cq = sum((r.cq for r in rows), ZERO)
    self_raised = sum((r.self_raised for r in rows), ZERO)
    url = verify_url(notice.verification_code)
    numbers = [
        (label, number)
        for label, number in (("四川", application.number_sc), ("重庆", application.number_cq))
        if number
    ]
    pi = application.pi
    task = application.guide_task
    return {
        "notice": notice,
        "award": award,
        "application": application,
        "call": call,
        "issuers": ISSUERS,
        "number": notice.number,
        "project_numbers": numbers,
        "task": task,
        "field_name": award.field.name_zh,
        "lead": application.lead_unit,
        "partners": list(application.partners.all()),
        "pi_name": pi.full_name,
        "pi_title": pi.title,
        "period": period(application.start_date, application.duration_months),
        "rows": [
            {"row": row, "province": PROVINCE_NAMES.get(row.province, row.province), "cells": row.cells}
            for row in rows
        ],
        "total_sc": wan(total_sc),
        "total_cq": wan(total_cq),
        "total_government": wan(total_sc + total_cq),
        "total_self": wan(self_raised),
        "date": chinese_date(issued),
        "contract_deadline": chinese_date(issued + timedelta(days=CONTRACT_DAYS)),
        "contract_days": CONTRACT_DAYS,
        "contacts": [
            (ISSUERS[0], _contact(award.approved_sc_by)),
            (ISSUERS[1], _contact(award.approved_cq_by)),
        ],
        "portal_url": settings.PORTAL_BASE_URL,
        "verify_url": url,
        "qr": qr_data_uri(url),
    }


def notice_html(notice: FundingNotice) -> str:
    """The notice's HTML, always in Chinese (the labels of choices included)."""
    with translation.override("zh-hans"):
        return render_to_string("pdf/notice.html", notice_context(notice))


@functools.cache
def notice_stylesheet():  # noqa: ANN201 — weasyprint.CSS, imported lazily
    """The notice's own stylesheet, parsed once per process (it has no @font-face rule, so it
    needs no font configuration of its own: the renderer's shared one lays it out)."""
    from weasyprint import CSS

    return CSS(filename=str(NOTICE_CSS_PATH))


def notice_pdf(notice: FundingNotice) -> bytes:
    """Render the notice (loaded by ``notice_for_render``) to PDF bytes."""
    from portal.pdf import render_pdf

    return render_pdf(notice_html(notice), stylesheets=(notice_stylesheet(),))
