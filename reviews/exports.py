"""The award list (立项清单) and all applications with their aggregates, as CSV or XLSX — for
the pages, the API and ``manage.py export_awards`` alike.

A ``Table`` is built in two steps: its labels now (``award_list`` / ``applications_list``
read the language-dependent labels of the call at once) and its rows later, as they are
written, so that a streamed CSV never holds more than one chunk of awards
(``reviews.selectors.exports.CHUNK``) in memory and needs no active language while it is sent.

Decisions where the issue is silent
-----------------------------------
* Headers and labels are in the language active when the export is built: the request's
  language for pages and API (Chinese by default, English with ``Accept-Language: en`` or
  the English interface), ``--language`` for the command (default: the portal's
  ``LANGUAGE_CODE``, zh-hans). Columns are the same, in the same order, in both languages.
  File names are Chinese in both (川渝联合研发立项清单-2021.xlsx): the document's name.
* Which awards: every live award (all but withdrawn), with its status in a column — see
  ``reviews.selectors.exports``.
* Money in 万元 (yuan / 10,000, 2 decimals half-up, like the pages); numbers, not text.
  A row's total is the sum of its two shown amounts, and the XLSX totals row the sum of the
  shown cells, so that the sheet adds up to the cent.
* CSV: UTF-8 with a BOM (so that Excel on a Chinese Windows reads UTF-8), CRLF, a header row
  and data rows only — no totals row, since programs read CSV too and would count it as a
  project. XLSX: bold frozen header, column widths, 万元 with the number format
  ``#,##0.00``, and under the award list a totals row written as plain numbers computed
  while writing (openpyxl stores no cached result for a formula: readers that do not
  recalculate — openpyxl, pandas, file previewers — would show an empty total).
* Formula injection: every text cell (headers included) that starts with ``=``, ``+``,
  ``-``, ``@``, a tab, CR or LF gets a leading apostrophe, in both formats: a title such as
  ``=HYPERLINK(…)`` is shown as text and never runs. Numbers are written as numbers.
* No ``format`` given: XLSX (the file people open); anything but csv/xlsx is refused.
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from applications.models import FundingCall
from portal.money import to_wan
from reviews.selectors.exports import applications_for_export, awards_for_export, call_labels

CSV = "csv"
XLSX = "xlsx"
FORMATS = (CSV, XLSX)
DEFAULT_FORMAT = XLSX
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
AWARDS = "awards"
APPLICATIONS = "applications"
KINDS = (AWARDS, APPLICATIONS)
FILENAMES = {AWARDS: "川渝联合研发立项清单-{year}", APPLICATIONS: "川渝联合研发申报项目评审汇总-{year}"}

ZERO = Decimal(0)
# Column kinds: how a value is written and formatted.
TEXT, INTEGER, WAN, POINTS = "text", "integer", "wan", "points"
NUMBER_FORMATS = {WAN: "#,##0.00", POINTS: "0.00", INTEGER: "0"}
# What a spreadsheet reads as the start of a formula (OWASP's list, and LF).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
# CSV rows per chunk of a streamed response.
CSV_ROWS_PER_CHUNK = 200
# An XLSX under this size is built in memory, a larger one in a temporary file.
XLSX_IN_MEMORY = 8 * 1024 * 1024


class UnknownFormat(ValueError):
    def __init__(self, value: str) -> None:
        super().__init__(f"format={value!r}; allowed: {', '.join(FORMATS)}")
        self.value = value
        self.allowed = list(FORMATS)


def parse_format(value: str | None) -> str:
    """``csv`` or ``xlsx`` (XLSX when absent or empty); UnknownFormat otherwise."""
    if not value:
        return DEFAULT_FORMAT
    if value not in FORMATS:
        raise UnknownFormat(value)
    return value


def unknown_format_message(unknown: UnknownFormat) -> str:
    return _("“%(value)s” is not a format of the export (parameter %(parameter)s); allowed: %(allowed)s.") % {
        "value": unknown.value,
        "parameter": "format",
        "allowed": ", ".join(unknown.allowed),
    }


def wan(yuan: Decimal | None) -> Decimal | None:
    """Yuan as 万元, 2 decimals half-up (20000000 → 2000.00)."""
    return None if yuan is None else to_wan(yuan)


def escape(text: str) -> str:
    """Text a spreadsheet must never read as a formula: a leading apostrophe when it starts
    like one."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# --- Tables ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT
    width: float = 12
    total: bool = False  # summed in the XLSX totals row


@dataclass
class Table:
    title: str  # the sheet's name
    columns: list[Column]
    rows: Iterable[Sequence[Any]]  # str, int, Decimal or None per column; read once
    totals_label: str | None = None  # a totals row (XLSX) under the columns with ``total``


def award_list(call: FundingCall) -> Table:
    """The call's live awards, one row each, in the order of the notices."""
    labels = call_labels(call)
    separator = pgettext("separator of a list of units in an export", "; ")
    columns = [
        Column(_("No."), INTEGER, 6),
        Column(_("Notice number"), TEXT, 22),
        Column(_("Project title"), TEXT, 40),
        Column(_("Field"), TEXT, 14),
        Column(_("Guide task"), TEXT, 32),
        Column(_("Lead unit"), TEXT, 30),
        Column(_("Unified social credit code"), TEXT, 22),
        Column(_("Partner units"), TEXT, 40),
        Column(_("Project leader"), TEXT, 12),
        Column(_("Sichuan funding (10,000 yuan)"), WAN, 16, total=True),
        Column(_("Chongqing funding (10,000 yuan)"), WAN, 16, total=True),
        Column(_("Total (10,000 yuan)"), WAN, 14, total=True),
        Column(_("Status"), TEXT, 16),
        Column(_("Review score"), POINTS, 10),
    ]

    def rows() -> Iterator[list[Any]]:
        for number, award in enumerate(awards_for_export(call=call), start=1):
            sc, cq = wan(award.amount_sc), wan(award.amount_cq)
            yield [
                number,
                award.notice_number,
                award.title,
                labels.fields.get(award.field_id, ""),
                labels.tasks.get(award.guide_task_id, ""),
                award.lead_unit,
                award.lead_uscc,
                separator.join(award.partners),
                award.pi,
                sc,
                cq,
                sc + cq,
                labels.award_statuses.get(award.status, award.status),
                award.score,
            ]

    return Table(title=_("Award list"), columns=columns, rows=rows(), totals_label=_("Total"))


def applications_list(call: FundingCall) -> Table:
    """Every application of the call past submission with its status, requested government
    funds and the ranking's aggregates (empty for those never reviewed)."""
    labels = call_labels(call)
    columns = [
        Column(_("Rank"), INTEGER, 7),
        Column(_("Reference"), TEXT, 16),
        Column(_("Project title"), TEXT, 40),
        Column(_("Project leader"), TEXT, 12),
        Column(_("Status"), TEXT, 16),
        Column(_("Field"), TEXT, 14),
        Column(_("Guide task"), TEXT, 32),
        Column(_("Lead unit"), TEXT, 30),
        Column(_("Province"), TEXT, 10),
        Column(_("Sichuan government funds requested (10,000 yuan)"), WAN, 18, total=True),
        Column(_("Chongqing government funds requested (10,000 yuan)"), WAN, 18, total=True),
        Column(_("Reviews"), INTEGER, 9),
        Column(_("Mean"), POINTS, 10),
        Column(_("Trimmed mean"), POINTS, 11),
        Column(_("Median"), POINTS, 10),
        Column(_("Standard deviation"), POINTS, 11),
        Column(_("Spread"), POINTS, 10),
    ]
    found = applications_for_export(call=call)

    def rows() -> Iterator[list[Any]]:
        for row in found:
            application = row.application
            ranked = row.ranking
            aggregate = ranked.aggregate if ranked is not None else None
            task = application.guide_task_id
            yield [
                ranked.rank if ranked is not None else None,
                application.reference,
                application.title,
                application.pi.full_name,
                labels.application_statuses.get(application.status, application.status),
                labels.fields.get(labels.task_fields.get(task), "") if task else "",
                labels.tasks.get(task, "") if task else "",
                application.lead_unit.name,
                labels.provinces.get(application.province, application.province),
                wan(row.requested_sc),
                wan(row.requested_cq),
                aggregate.n if aggregate is not None else None,
                aggregate.mean if aggregate is not None else None,
                aggregate.trimmed_mean if aggregate is not None else None,
                aggregate.median if aggregate is not None else None,
                aggregate.sd if aggregate is not None else None,
                aggregate.spread if aggregate is not None else None,
            ]

    return Table(title=_("Applications and scores"), columns=columns, rows=rows(), totals_label=_("Total"))


def build(kind: str, call: FundingCall) -> Table:
    return {AWARDS: award_list, APPLICATIONS: applications_list}[kind](call)


def filename(kind: str, call: FundingCall, fmt: str) -> str:
    return f"{FILENAMES[kind].format(year=call.year)}.{fmt}"


# --- CSV --------------------------------------------------------------------------------------


class _Line:
    """A file for csv.writer whose write() hands the formatted line back."""

    def write(self, line: str) -> str:
        return line


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as CSV (UTF-8 with BOM, CRLF), in chunks of ``CSV_ROWS_PER_CHUNK`` rows, read
    from ``table.rows`` as they are sent."""
    writer = csv.writer(_Line())
    lines = ["\ufeff", writer.writerow([escape(column.label) for column in table.columns])]
    for row in table.rows:
        lines.append(writer.writerow([_csv_value(value) for value in row]))
        if len(lines) >= CSV_ROWS_PER_CHUNK:
            yield "".join(lines).encode("utf-8")
            lines = []
    if lines:
        yield "".join(lines).encode("utf-8")


# --- XLSX -------------------------------------------------------------------------------------


def write_xlsx(table: Table, target: IO[bytes]) -> int:
    """The table as an XLSX workbook written to ``target`` (openpyxl's write-only mode: rows go
    to a temporary file as they come); returns the number of data rows."""
    # Imported here: only the XLSX export needs openpyxl.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(table.title))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    bold = Font(bold=True)

    def text(value: str) -> str:
        # Control characters (other than tab, CR, LF) are not allowed in a workbook.
        return escape(ILLEGAL_CHARACTERS_RE.sub("", value))

    def cell(column: Column, value: Any, *, strong: bool = False) -> Any:
        if isinstance(value, str):
            value = text(value)
        number_format = NUMBER_FORMATS.get(column.kind) if value is not None else None
        if not strong and number_format is None:
            return value  # a plain value: no cell object, no style
        written = WriteOnlyCell(sheet, value=value)
        if number_format is not None and not isinstance(value, str):
            written.number_format = number_format
        if strong:
            written.font = bold
        return written

    sheet.append([cell(column, column.label, strong=True) for column in table.columns])
    totals = [ZERO if column.total else None for column in table.columns]
    count = 0
    for row in table.rows:
        sheet.append([cell(column, value) for column, value in zip(table.columns, row, strict=True)])
        for index, value in enumerate(row):
            if totals[index] is not None and value is not None:
                totals[index] += value
        count += 1
    if table.totals_label is not None and any(total is not None for total in totals):
        values: list[Any] = list(totals)
        values[0] = table.totals_label
        sheet.append(
            [cell(column, value, strong=True) for column, value in zip(table.columns, values, strict=True)]
        )
    workbook.save(target)
    return count


def _sheet_title(title: str) -> str:
    # A sheet name: at most 31 characters, none of []:*?/\ .
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title).strip()
    return cleaned[:31] or "Sheet1"


# --- Responses --------------------------------------------------------------------------------


def export_response(kind: str, call: FundingCall, fmt: str) -> HttpResponseBase:
    """The download: CSV streamed row by row, XLSX built in memory (or a temporary file when
    large) and then sent; both as attachments named ``FILENAMES`` (RFC 5987 for the Chinese
    name)."""
    table = build(kind, call)
    name = filename(kind, call, fmt)
    if fmt == CSV:
        response: HttpResponseBase = StreamingHttpResponse(csv_chunks(table), content_type=CONTENT_TYPES[CSV])
        response["Content-Disposition"] = content_disposition_header(True, name)
    else:
        # Closed by FileResponse once sent.
        spooled = tempfile.SpooledTemporaryFile(max_size=XLSX_IN_MEMORY)  # noqa: SIM115
        write_xlsx(table, spooled)
        spooled.seek(0)
        response = FileResponse(spooled, as_attachment=True, filename=name, content_type=CONTENT_TYPES[XLSX])
    # Names, amounts and scores of a decision not yet public: no shared cache keeps a copy.
    response["Cache-Control"] = "private, no-store"
    return response
