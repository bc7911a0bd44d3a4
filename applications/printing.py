"""The printed application (申报书 PDF) and what it needs: one print per application version.

A draft (or an application returned for revision) prints its live rows with a DRAFT watermark
on every page. From submission on, the print is official: it shows the frozen document of the
latest ``Submission`` — never the live rows — with the submission's fingerprint, its
verification code and a QR code that opens the public verification page.

``application_print_get_or_request`` answers from a stored ``PrintOut`` or queues a ``Job``
whose Celery task (``applications.tasks.application_print_task``) calls
``application_print_render``; the render is idempotent (``job_claim``; one ``PrintOut`` per
application and version). The print is always in Chinese: it is the official text, like
the call's guide, so its fixed wording is written in Chinese in the template and here.
"""

import hashlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from applications.models import (
    Application,
    AttachmentKind,
    BudgetCategory,
    BudgetSource,
    IndicatorKind,
    PrintOut,
    Submission,
    TeamRole,
)
from applications.workflow import EDITABLE_STATES
from portal.accounts.models import IdType
from portal.audit.services import audit_record
from portal.choices import Province
from portal.jobs.models import Job, JobStatus
from portal.jobs.services import job_claim, job_create, job_done, job_fail

logger = logging.getLogger(__name__)

PRINT_JOB = "application.pdf"
# A queued or running job older than this is presumed lost (its worker died without the
# message coming back): a new request starts a new job rather than waiting on it forever.
REUSE_JOB_FOR = timedelta(minutes=15)

BEIJING = ZoneInfo("Asia/Shanghai")

# Printed in Chinese (rendered under zh-hans): the labels are the models' own, as on the pages;
# only the bureaus' names have no model to come from.
BUREAU = {"SC": "四川省科学技术厅", "CQ": "重庆市科学技术局"}
ZERO = Decimal(0)


# --- Formatting helpers (pure) ------------------------------------------------------------


def mask_id(number: str) -> str:
    """An ID number as printed: the region and the check part kept, the birth date hidden
    (``510104198005171234`` → ``510104********1234``). Short numbers (passports) keep less."""
    number = number or ""
    if len(number) >= 15:
        head, tail = 6, 4
    elif len(number) >= 8:
        head, tail = 2, 2
    else:
        head, tail = 0, min(1, len(number))
    hidden = len(number) - head - tail
    return number[:head] + "*" * hidden + (number[-tail:] if tail else "")


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif value:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return None
    else:
        return None
    return timezone.localtime(moment, BEIJING) if timezone.is_aware(moment) else moment


def chinese_date(value: date | None) -> str:
    """``2021年8月24日``: Arabic numerals without padding, as in official documents."""
    return f"{value.year}年{value.month}月{value.day}日" if value else ""


def chinese_moment(value: datetime | None) -> str:
    return f"{chinese_date(value.date())} {value:%H:%M}（北京时间）" if value else ""


def _month(value: date) -> str:
    return f"{value.year}年{value.month}月"


def period(start: Any, months: Any) -> str:
    """``2022年1月至2024年12月（36个月）``; what is known of it when a part is missing."""
    first = _date(start)
    if first and months:
        index = first.year * 12 + first.month - 1 + int(months) - 1
        last = date(index // 12, index % 12 + 1, 1)
        return f"{_month(first)}至{_month(last)}（{months}个月）"
    if first:
        return f"自{_month(first)}起"
    if months:
        return f"{months}个月"
    return ""


def birth_month(member: dict[str, Any]) -> str:
    """Year and month of birth: from the birth date, else from a resident ID number."""
    born = _date(member.get("birth_date"))
    number = member.get("id_number") or ""
    if born is None and member.get("id_type", "resident_id") == "resident_id" and len(number) == 18:
        try:
            born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            born = None
    return _month(born) if born else ""


def _decimal(value: Any) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError, TypeError):
        return ZERO


def plain_number(value: Any) -> str:
    """``95.00`` → ``95``, ``2.50`` → ``2.5``: a target as people write it."""
    if value in (None, ""):
        return ""
    return f"{_decimal(value).normalize():f}"


# --- The printed document -----------------------------------------------------------------


@dataclass
class BudgetRow:
    category: str
    cells: list[Decimal | None]
    total: Decimal


@dataclass
class BudgetUnit:
    name: str
    uscc: str
    rows: list[BudgetRow]
    subtotal: list[Decimal]
    total: Decimal


def budget_grid(document: dict[str, Any]) -> dict[str, Any]:
    """The budget as printed: per unit (lead, partners in order, then any other USCC) × category,
    one column per source, with subtotals per unit and totals per source (in yuan)."""
    names = {document["lead_unit"]["uscc"]: document["lead_unit"]["name"]}
    for partner in document.get("partners") or []:
        names.setdefault(partner["uscc"], partner["name"])
    cells: dict[tuple[str, str, str], Decimal] = {}
    order = list(names)
    for line in document.get("budget") or []:
        key = (line["unit_uscc"], line["category"], line["source"])
        cells[key] = cells.get(key, ZERO) + _decimal(line["amount"])
        if line["unit_uscc"] not in order:
            order.append(line["unit_uscc"])
    used = {uscc for uscc, _category, _source in cells}
    units = []
    for uscc in (u for u in order if u in used):
        rows = []
        for category in BudgetCategory:
            row = [cells.get((uscc, category, source)) for source in BudgetSource]
            rows.append(BudgetRow(str(category.label), row, sum((c for c in row if c is not None), ZERO)))
        subtotal = [sum((r.cells[i] or ZERO for r in rows), ZERO) for i in range(len(BudgetSource))]
        units.append(BudgetUnit(names.get(uscc, uscc), uscc, rows, subtotal, sum(subtotal, ZERO)))
    by_source = [sum((u.subtotal[i] for u in units), ZERO) for i in range(len(BudgetSource))]
    government = by_source[0] + by_source[1]
    return {
        "sources": [str(source.label) for source in BudgetSource],
        "units": units,
        "by_source": by_source,
        "total": sum(by_source, ZERO),
        "government": government,
        "self_raised": by_source[2],
    }


def verify_url(code: str) -> str:
    return settings.PORTAL_BASE_URL + reverse("applications:verify", args=[code])


def qr_data_uri(url: str) -> str:
    import segno

    return segno.make(url, error="m").svg_data_uri(scale=4, border=2)


def label(choices: type[models.TextChoices], code: Any) -> str:
    """The label of a stored code in the active language; an unknown code prints as it is."""
    return str(choices(code).label) if code in choices.values else str(code or "")


def print_context(document: dict[str, Any], submission: Submission | None, version: int) -> dict[str, Any]:
    """What the template prints, from a document (live or frozen) and, for an official print,
    its submission. Reads only the document: a snapshot prints as it was submitted."""
    lead = document["lead_unit"]
    partners = [
        {**p, "province_label": label(Province, p.get("province"))} for p in document.get("partners") or []
    ]
    team = [
        {
            **m,
            "id_masked": mask_id(m.get("id_number", "")),
            "id_type_label": label(IdType, m.get("id_type")),
            "born": birth_month(m),
            "role_label": label(TeamRole, m.get("role")),
        }
        for m in document.get("team") or []
    ]
    indicators = [
        {
            **i,
            "kind_label": label(IndicatorKind, i.get("kind")),
            "target_text": plain_number(i.get("target")),
        }
        for i in document.get("indicators") or []
    ]
    partner_names = {p["uscc"]: p["name"] for p in partners}
    attachments = [
        {
            **a,
            "kind_label": label(AttachmentKind, a.get("kind")),
            "partner_name": partner_names.get(a.get("partner_uscc", ""), a.get("partner_uscc", "")),
        }
        for a in document.get("attachments") or []
    ]
    context: dict[str, Any] = {
        "doc": document,
        "version": version,
        "official": submission is not None,
        "bureau": BUREAU.get(document.get("province", ""), ""),
        "lead_province": label(Province, lead.get("province")),
        "period": period(document.get("start_date"), document.get("duration_months")),
        "partners": partners,
        "team": team,
        "indicators": indicators,
        "milestones": document.get("milestones") or [],
        "budget": budget_grid(document),
        "attachments": attachments,
        "committed_at": chinese_moment(_moment(document.get("integrity_committed_at"))),
        "printed_at": chinese_moment(_moment(timezone.now())),
    }
    if submission is not None:
        url = verify_url(submission.verification_code)
        context.update(
            submission=submission,
            submitted_at=chinese_moment(_moment(submission.submitted_at)),
            verify_url=url,
            qr=qr_data_uri(url),
        )
    return context


@dataclass
class PrintSource:
    html: str
    version: int
    submission: Submission | None

    @property
    def official(self) -> bool:
        return self.submission is not None


def print_source(application: Application) -> PrintSource:
    """The HTML to print for the application as it is now.

    Editable (draft, returned): the live rows, marked DRAFT. Otherwise the latest submission's
    frozen document; an application that never was submitted (withdrawn as a draft) prints
    its rows as a draft."""
    submission = None
    if application.status not in EDITABLE_STATES:
        # The latest submission is the one the unit and the bureau read.
        submission = application.submissions.order_by("-number").first()
    document = submission.document if submission is not None else application.document
    with translation.override("zh-hans"):
        html = render_to_string(
            "pdf/application.html", print_context(document, submission, application.version)
        )
    return PrintSource(html=html, version=application.version, submission=submission)


# --- Services -----------------------------------------------------------------------------


# A print that failed is tried again when asked for after this long.
RETRY_FAILED_AFTER = timedelta(minutes=1)


def application_print_get_or_request(
    *, application: Application, by: Any
) -> tuple[PrintOut | None, Job | None]:
    """The print of the application's current version: ``(print, None)`` when it is stored;
    otherwise a job is queued (or the requester's own job still under way is reused) and
    ``(None, job)`` returned — or ``(print, job)`` when the job ran at commit (eager Celery).

    The caller checks that ``by`` may read the application. A job prints the application as
    it is when the job runs; the page polls the job and asks again when it is over.
    """
    from applications.tasks import application_print_task

    with transaction.atomic():
        # The row lock makes two clicks queue one job.
        current = (
            Application.objects.select_for_update().only("pk", "version", "title").get(pk=application.pk)
        )
        printout = PrintOut.objects.filter(application_id=current.pk, version=current.version).first()
        if printout is not None:
            return printout, None
        requester = by if getattr(by, "is_authenticated", False) else None
        job = (
            Job.objects.filter(
                kind=PRINT_JOB,
                object_type=Application._meta.label_lower,
                object_id=str(current.pk),
                created_by=requester,
            )
            # A job under way is reused; so is one that has just failed, so that the page
            # which reloads when a job ends shows the failure instead of printing again.
            .filter(
                Q(
                    status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
                    updated_at__gte=timezone.now() - REUSE_JOB_FOR,
                )
                | Q(status=JobStatus.FAILED, updated_at__gte=timezone.now() - RETRY_FAILED_AFTER)
            )
            .order_by("-created_at")
            .first()
        )
        if job is None:
            job = job_create(kind=PRINT_JOB, task=application_print_task.name, obj=current, by=by)
            # robust: a broker that is down (or an eager render that fails) must not undo or
            # break the request; the job stays queued or failed, and the sweep sends it again.
            transaction.on_commit(lambda: application_print_task.delay(job.pk), robust=True)
            # Audited when a print is started; a page asking again while it runs adds nothing.
            audit_record(
                actor=by,
                action="application.print_request",
                obj=current,
                data={"job": job.pk, "version": current.version},
            )
    printout = PrintOut.objects.filter(application_id=current.pk, version=current.version).first()
    job.refresh_from_db()
    return printout, job


def application_print_render(*, job_id: int) -> Job:
    """Print the job's application. Idempotent: a job done is left as it is, and a version
    already printed is not printed again (one ``PrintOut`` per application and version)."""
    from portal.pdf import render_pdf

    job = job_claim(job_id=job_id)
    if job is None:
        return Job.objects.get(pk=job_id)
    pk = int(job.object_id)
    try:
        # Under the row lock the parts are read as one version (saves lock the row too).
        with transaction.atomic():
            version = Application.objects.select_for_update().values_list("version", flat=True).get(pk=pk)
            if PrintOut.objects.filter(application_id=pk, version=version).exists():
                job_done(job_id=job_id)
                job.refresh_from_db()
                return job
            source = print_source(Application.objects.get(pk=pk))
        pdf = render_pdf(source.html)
    except Exception as error:
        # Recorded for the team and staff to see; the task decides whether to retry.
        job_fail(job_id=job_id, error=error)
        raise
    digest = hashlib.sha256(pdf).hexdigest()
    with transaction.atomic():
        application = Application.objects.select_for_update().get(pk=pk)
        if not PrintOut.objects.filter(application_id=pk, version=source.version).exists():
            printout = PrintOut(
                application=application,
                version=source.version,
                official=source.official,
                submission=source.submission,
                sha256=digest,
            )
            printout.file.save(f"print-{digest[:16]}.pdf", ContentFile(pdf), save=False)
            try:
                with transaction.atomic():
                    printout.save()
            except IntegrityError:
                # Another worker stored this version first (a database without row locks).
                printout.file.storage.delete(printout.file.name)
            else:
                audit_record(
                    actor=job.created_by,
                    action="application.print",
                    obj=application,
                    data={
                        "job": job_id,
                        "version": source.version,
                        "official": source.official,
                        "sha256": digest,
                    },
                )
        job_done(job_id=job_id)
    job.refresh_from_db()
    return job
