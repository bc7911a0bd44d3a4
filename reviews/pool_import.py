"""Reading an expert list (CSV or XLSX) into checked rows for the pool import.

No database access: ``read_table`` turns an upload into a table of text cells (or raises
``ImportFileError`` for a file that cannot be a list of experts at all), and ``check_rows``
checks every cell of every row against the rules, given what the service knows (the research
fields, the codes of units already registered). The service adds the checks that need the
database (accounts of other roles) and decides; nothing is imported from a file with errors.

Each bad row yields exactly one ``RowError`` that names every field at fault with its rule;
row numbers are those the spreadsheet shows (the header is row 1).
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.fields import ID_MESSAGES, USCC_MESSAGES
from portal.validators import check_id_number, check_passport_number, check_uscc, normalize_uscc

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
MAX_COLUMNS = 50
# A workbook is a zip: a few kilobytes may unpack to gigabytes.
MAX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_LOAD = 200
DEFAULT_MAX_LOAD = 10

# Column code → the header names understood (compared after ``_header_key``). The codes are the
# names of the example file and of the API's error fields.
COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "email": ("email", "e_mail", "mail", "邮箱", "电子邮箱", "电子邮件", "邮件地址"),
    "full_name": ("full_name", "name", "姓名", "专家姓名"),
    "province": ("province", "省份", "所属省份", "省市"),
    "unit_name": ("unit_name", "unit", "organization", "单位名称", "单位", "工作单位"),
    "unit_uscc": ("unit_uscc", "uscc", "统一社会信用代码", "单位统一社会信用代码", "信用代码"),
    "fields": ("fields", "field", "专业领域", "领域", "研究领域"),
    "title": ("title", "职称"),
    "max_load": ("max_load", "最大评审数", "最大评审数量", "评审上限"),
    "active": ("active", "是否启用", "启用"),
    "phone": ("phone", "电话", "手机", "联系电话", "手机号码"),
    "id_number": ("id_number", "身份证号", "身份证号码", "证件号码"),
}
REQUIRED_COLUMNS = ("email", "full_name", "province", "unit_name", "unit_uscc", "fields")
COLUMN_LABELS = {
    "email": gettext_lazy("email address"),
    "full_name": gettext_lazy("full name"),
    "province": gettext_lazy("province"),
    "unit_name": gettext_lazy("unit name"),
    "unit_uscc": gettext_lazy("unified social credit code of the unit"),
    "fields": gettext_lazy("fields of expertise"),
    "title": gettext_lazy("professional title"),
    "max_load": gettext_lazy("maximum applications per call"),
    "active": gettext_lazy("active"),
    "phone": gettext_lazy("phone"),
    "id_number": gettext_lazy("ID or passport number"),
}
MAX_LENGTHS = {
    "email": 254,
    "full_name": 100,
    "unit_name": 200,
    "title": 50,
    "phone": 30,
    "id_number": 20,
    "province": 20,
    "unit_uscc": 40,
    "fields": 200,
    "max_load": 10,
    "active": 10,
}

PROVINCES = dict.fromkeys(("sc", "sichuan", "四川", "四川省", "川"), "SC") | dict.fromkeys(
    ("cq", "chongqing", "重庆", "重庆市", "渝"), "CQ"
)
YES = frozenset({"yes", "y", "true", "t", "1", "on", "是", "启用", "有效", "√", "✓"})
NO = frozenset({"no", "n", "false", "f", "0", "off", "否", "停用", "禁用", "无效", "×"})
FIELD_SEPARATORS = re.compile(r"[,，;；、|]+")
PHONE = re.compile(r"^[0-9+\-() ]{3,30}$")

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97–2003 (.xls)
OTHER_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")


class ImportFileError(Exception):
    """The upload as a whole is no list of experts; ``code`` is stable, ``message`` translated."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Problem:
    """One broken rule of one cell: ``field`` is the column code."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class RowError:
    """Everything wrong with one row of the file (one entry per bad row)."""

    row: int
    problems: tuple[Problem, ...]

    @property
    def field(self) -> str:
        return ", ".join(dict.fromkeys(p.field for p in self.problems))

    @property
    def code(self) -> str:
        return self.problems[0].code if len(self.problems) == 1 else "invalid_row"

    @property
    def message(self) -> str:
        return "; ".join(f"{p.field}: {p.message}" for p in self.problems)


@dataclass(frozen=True)
class RowNote:
    """Something the import did differently from the file, without refusing the row."""

    row: int
    field: str
    message: str


@dataclass(frozen=True)
class Table:
    """The cells of an upload as text: ``columns`` maps column codes to the headers as written."""

    columns: dict[str, str]
    rows: list[tuple[int, dict[str, str]]]
    ignored_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldInfo:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class ExpertRow:
    """One row, its values cleaned (best effort when the row has problems)."""

    row: int
    email: str
    full_name: str
    province: str
    unit_name: str
    unit_uscc: str
    field_codes: tuple[str, ...]
    title: str = ""
    max_load: int = DEFAULT_MAX_LOAD
    active: bool = True
    phone: str = ""
    id_type: str = ""
    id_number: str = ""


@dataclass
class Sheet:
    """The checked rows of a file: the service may add problems of its own before deciding."""

    columns: dict[str, str]
    rows: list[ExpertRow]
    problems: dict[int, list[Problem]] = field(default_factory=dict)
    notes: list[RowNote] = field(default_factory=list)

    def add(self, row: int, field_code: str, code: str, message: str) -> None:
        self.problems.setdefault(row, []).append(Problem(field_code, code, message))

    def note(self, row: int, field_code: str, message: str) -> None:
        self.notes.append(RowNote(row, field_code, message))

    def is_valid(self, row: int) -> bool:
        return row not in self.problems

    def field_is_valid(self, row: int, field_code: str) -> bool:
        return not any(p.field == field_code for p in self.problems.get(row, ()))

    @property
    def errors(self) -> list[RowError]:
        """One error per bad row, in file order; its problems in the order of the columns."""
        order = {code: position for position, code in enumerate(COLUMN_ALIASES)}
        return [
            RowError(row, tuple(sorted(problems, key=lambda p: order.get(p.field, len(order)))))
            for row, problems in sorted(self.problems.items())
        ]


# --- Reading the file ----------------------------------------------------------------------


def read_table(upload: Any) -> Table:
    """The header and the non-empty rows of a CSV or XLSX upload, as text cells."""
    name = str(getattr(upload, "name", "") or "")
    extension = PurePath(name).suffix.lower()
    if extension not in (".csv", ".xlsx"):
        raise ImportFileError(
            _("Upload a .csv or .xlsx file (the expert list as a spreadsheet); got “%(name)s”.")
            % {"name": _shorten(PurePath(name).name) or "?"},
            "extension",
        )
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ImportFileError(_too_large(), "too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImportFileError(_too_large(), "too_large")
    if not data.strip():
        raise ImportFileError(_("The file is empty."), "empty")

    if data.startswith(OLE_MAGIC):
        raise ImportFileError(
            _(
                "This is an old Excel 97–2003 (.xls) workbook; save it as .xlsx or as CSV (UTF-8) and upload again."
            ),
            "xls",
        )
    if data.startswith(ZIP_MAGIC):
        # A workbook saved under a .csv name is still read as what it is.
        lines = _xlsx_lines(data)
    elif extension == ".xlsx":
        raise ImportFileError(
            _(
                "This file is not a valid .xlsx workbook (an .xlsx file is a zip archive); save it again from Excel or WPS."
            ),
            "not_xlsx",
        )
    elif data.startswith(OTHER_MAGIC):
        raise ImportFileError(
            _("This file is not a spreadsheet; upload the expert list as .csv or .xlsx."), "not_spreadsheet"
        )
    else:
        lines = _csv_lines(_decode(data))
    return _table(lines)


def _too_large() -> str:
    return _("The file is larger than %(size)d MB; split the list into several files.") % {
        "size": MAX_BYTES // (1024 * 1024)
    }


def _decode(data: bytes) -> str:
    # Excel's "Unicode text" is UTF-16 with a byte order mark; otherwise UTF-8 (with or without
    # the byte order mark Excel writes), else the Chinese Windows default.
    utf16 = data.startswith((b"\xff\xfe", b"\xfe\xff"))
    encodings = ("utf-16",) if utf16 else ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        _("The CSV file is neither UTF-8 nor GB18030 text; save it as “CSV UTF-8” and upload again."),
        "encoding",
    )


def _csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    # Excel writes ";" or tabs in some locales: the header line tells which.
    delimiter = max((",", ";", "\t", "，"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, cells[:MAX_COLUMNS]
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file cannot be read after row %(row)d: %(error)s")
            % {"row": reader.line_num, "error": error},
            "csv",
        ) from error


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[str]]]:
    import openpyxl  # Imported here: only imports of workbooks need it.

    not_workbook = ImportFileError(
        _("This file is not a valid .xlsx workbook; save it again from Excel or WPS, or as CSV."), "not_xlsx"
    )
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as error:
        raise not_workbook from error
    if not any(entry.filename == "xl/workbook.xml" for entry in entries):
        raise not_workbook
    if sum(entry.file_size for entry in entries) > MAX_UNPACKED_BYTES:
        raise ImportFileError(_too_large(), "too_large")
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken workbook.
        raise not_workbook from error
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The file is empty."), "empty")
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
            yield number, [_cell_text(value) for value in values]
    except ImportFileError:
        raise
    except Exception as error:  # A damaged sheet part surfaces only while reading.
        raise not_workbook from error
    finally:
        workbook.close()


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        # Excel stores every number as a float: 10.0 is the 10 typed.
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value)


def _header_key(text: str) -> str:
    key = unicodedata.normalize("NFKC", text).strip().lower().lstrip("\ufeff")
    key = key.strip("*：: ")
    return re.sub(r"[\s\-]+", "_", key)


_ALIAS_TO_CODE = {_header_key(alias): code for code, aliases in COLUMN_ALIASES.items() for alias in aliases}


def _column_code(header: str) -> str | None:
    key = _header_key(header)
    if key in _ALIAS_TO_CODE:
        return _ALIAS_TO_CODE[key]
    # "email (邮箱)", "邮箱（email）": either part may name the column.
    for part in re.split(r"[()（）]", key):
        part = part.strip("_ ")
        if part in _ALIAS_TO_CODE:
            return _ALIAS_TO_CODE[part]
    return None


def _table(lines: Iterable[tuple[int, list[str]]]) -> Table:
    lines = iter(lines)
    header: list[str] | None = None
    for _number, cells in lines:
        if any(cell.strip() for cell in cells):
            header = cells
            break
    if header is None:
        raise ImportFileError(_("The file is empty."), "empty")

    positions: dict[str, int] = {}
    columns: dict[str, str] = {}
    ignored: list[str] = []
    for index, cell in enumerate(header):
        text = cell.strip()
        if not text:
            continue
        code = _column_code(text)
        if code is None:
            ignored.append(_shorten(text))
            continue
        if code in columns:
            raise ImportFileError(
                _("The columns “%(first)s” and “%(second)s” both hold the %(column)s; keep one of them.")
                % {"first": columns[code], "second": _shorten(text), "column": COLUMN_LABELS[code]},
                "duplicate_column",
            )
        positions[code] = index
        columns[code] = _shorten(text)

    missing = [code for code in REQUIRED_COLUMNS if code not in columns]
    if missing:
        raise ImportFileError(
            _(
                "The first row must name the columns; missing: %(missing)s. See the example file for the "
                "column names (English codes or Chinese names)."
            )
            % {"missing": ", ".join(f"{code} ({COLUMN_LABELS[code]})" for code in missing)},
            "missing_columns",
        )

    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in lines:
        if not any(cell.strip() for cell in cells):
            continue
        if len(rows) >= MAX_ROWS:
            raise ImportFileError(
                _("The file has more than %(max)d experts; split it into several files.") % {"max": MAX_ROWS},
                "too_many_rows",
            )
        rows.append(
            (number, {code: cells[index] if index < len(cells) else "" for code, index in positions.items()})
        )
    if not rows:
        raise ImportFileError(
            _("The file names the columns but lists no expert; add one row per expert below the header."),
            "no_rows",
        )
    return Table(columns=columns, rows=rows, ignored_columns=tuple(ignored))


def _shorten(text: str, length: int = 40) -> str:
    text = "".join(ch if ch.isprintable() else "�" for ch in text)
    return text if len(text) <= length else text[: length - 1] + "…"


# --- Checking the rows ---------------------------------------------------------------------


def has_control_characters(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def check_rows(table: Table, *, fields: Sequence[FieldInfo], registered_usccs: Collection[str] = ()) -> Sheet:
    """Check every cell of every row, then the rows against each other (emails once, one name
    per unit). ``registered_usccs``: codes of units on the portal, which are accepted even when
    staff recorded an override for a failing check character."""
    sheet = Sheet(columns=table.columns, rows=[])
    index = _field_index(fields)
    allowed = ", ".join(f"{f.code} ({f.name_zh}/{f.name_en})" for f in fields)
    for number, cells in table.rows:
        sheet.rows.append(_check_row(sheet, number, cells, index, allowed, registered_usccs))
    _check_duplicate_emails(sheet)
    _check_unit_names(sheet, registered_usccs)
    return sheet


def _field_index(fields: Sequence[FieldInfo]) -> dict[str, str]:
    index: dict[str, str] = {}
    for info in fields:
        for alias in (info.code, info.name_zh, info.name_en):
            if alias:
                index[unicodedata.normalize("NFKC", alias).strip().casefold()] = info.code
    return index


def _check_row(
    sheet: Sheet,
    number: int,
    cells: dict[str, str],
    index: dict[str, str],
    allowed: str,
    registered_usccs: Collection[str],
) -> ExpertRow:
    values: dict[str, str] = {}
    for code, raw in cells.items():
        value = unicodedata.normalize("NFC", raw).strip()
        if has_control_characters(value):
            sheet.add(
                number,
                code,
                "control",
                _("Contains control characters (such as NUL or a line break), which are not allowed."),
            )
            value = ""
        elif len(value) > MAX_LENGTHS.get(code, 200):
            sheet.add(
                number,
                code,
                "too_long",
                _("At most %(max)d characters (got %(got)d).")
                % {"max": MAX_LENGTHS[code], "got": len(value)},
            )
            value = ""
        values[code] = value
    for code in REQUIRED_COLUMNS:
        if not values.get(code) and sheet.field_is_valid(number, code):
            sheet.add(number, code, "required", _("Required; the cell is empty."))

    email = values.get("email", "").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            sheet.add(
                number,
                "email",
                "invalid",
                _("“%(value)s” is not a valid email address.") % {"value": _shorten(email)},
            )

    province = ""
    if values.get("province"):
        province = PROVINCES.get(values["province"].casefold(), "")
        if not province:
            sheet.add(
                number,
                "province",
                "invalid",
                _("Unknown province “%(value)s”; use SC or CQ (also 四川/重庆, Sichuan/Chongqing).")
                % {"value": _shorten(values["province"])},
            )

    uscc = normalize_uscc(values.get("unit_uscc", ""))
    if uscc and uscc not in registered_usccs:
        problem = check_uscc(uscc)
        if problem is not None:
            sheet.add(
                number, "unit_uscc", problem.code, str(USCC_MESSAGES[problem.code]) % dict(problem.params)
            )

    field_codes = _check_fields(sheet, number, values.get("fields", ""), index, allowed)
    max_load = _check_max_load(sheet, number, values.get("max_load", ""))
    active = _check_active(sheet, number, values.get("active", ""))

    phone = values.get("phone", "")
    if phone and not PHONE.match(phone):
        sheet.add(
            number,
            "phone",
            "invalid",
            _("A phone number may contain only digits, spaces and + - ( ); got “%(value)s”.")
            % {"value": _shorten(phone)},
        )

    id_type, id_number = _check_id_number(sheet, number, values.get("id_number", ""))
    return ExpertRow(
        row=number,
        email=email,
        full_name=values.get("full_name", ""),
        province=province,
        unit_name=values.get("unit_name", ""),
        unit_uscc=uscc,
        field_codes=field_codes,
        title=values.get("title", ""),
        max_load=max_load,
        active=active,
        phone=phone,
        id_type=id_type,
        id_number=id_number,
    )


def _check_fields(
    sheet: Sheet, number: int, text: str, index: dict[str, str], allowed: str
) -> tuple[str, ...]:
    if not text:
        return ()
    codes: list[str] = []
    unknown: list[str] = []
    for token in FIELD_SEPARATORS.split(text):
        token = token.strip()
        if not token:
            continue
        code = index.get(unicodedata.normalize("NFKC", token).casefold())
        if code is None:
            unknown.append(_shorten(token, 20))
        elif code not in codes:
            codes.append(code)
    if unknown:
        sheet.add(
            number,
            "fields",
            "unknown_field",
            _("Unknown field code(s): %(unknown)s. Allowed codes: %(allowed)s.")
            % {"unknown": ", ".join(unknown), "allowed": allowed},
        )
    elif not codes:
        sheet.add(
            number,
            "fields",
            "required",
            _("Name at least one field. Allowed codes: %(allowed)s.") % {"allowed": allowed},
        )
    return tuple(sorted(codes))


def _check_max_load(sheet: Sheet, number: int, text: str) -> int:
    if not text:
        return DEFAULT_MAX_LOAD
    value = unicodedata.normalize("NFKC", text)
    if re.fullmatch(r"\d{1,4}(\.0+)?", value):
        load = int(value.split(".")[0])
        if 1 <= load <= MAX_LOAD:
            return load
    sheet.add(
        number,
        "max_load",
        "invalid",
        _("Must be a whole number from 1 to %(max)d (got “%(value)s”).")
        % {"max": MAX_LOAD, "value": _shorten(text)},
    )
    return DEFAULT_MAX_LOAD


def _check_active(sheet: Sheet, number: int, text: str) -> bool:
    if not text:
        return True
    value = text.casefold()
    if value in YES:
        return True
    if value in NO:
        return False
    sheet.add(
        number,
        "active",
        "invalid",
        _("Use yes or no (also 是/否, true/false, 1/0); got “%(value)s”.") % {"value": _shorten(text)},
    )
    return True


def _check_id_number(sheet: Sheet, number: int, text: str) -> tuple[str, str]:
    if not text:
        return "", ""
    value = text.strip().upper()
    if len(value) == 18 and value[:17].isascii() and value[:17].isdigit():
        problem = check_id_number(value)
        id_type = "resident_id"
    else:
        problem = check_passport_number(value)
        id_type = "passport"
    if problem is not None:
        sheet.add(number, "id_number", problem.code, str(ID_MESSAGES[problem.code]) % dict(problem.params))
        return "", ""
    return id_type, value


def _check_duplicate_emails(sheet: Sheet) -> None:
    rows_of: dict[str, list[int]] = {}
    for row in sheet.rows:
        if row.email:
            rows_of.setdefault(row.email, []).append(row.row)
    for email, numbers in rows_of.items():
        if len(numbers) < 2:
            continue
        listed = ", ".join(str(n) for n in numbers)
        for number in numbers:
            sheet.add(
                number,
                "email",
                "duplicate",
                _("The address %(email)s appears in rows %(rows)s; list each expert once.")
                % {"email": _shorten(email), "rows": listed},
            )


def _check_unit_names(sheet: Sheet, registered_usccs: Collection[str]) -> None:
    """Rows naming one unit (one code) differently: the first row's name is used."""
    first_of: dict[str, ExpertRow] = {}
    for row in sheet.rows:
        if not row.unit_uscc or not row.unit_name or row.unit_uscc in registered_usccs:
            # A registered unit keeps its registered name (the service says so per row).
            continue
        first = first_of.setdefault(row.unit_uscc, row)
        if first is not row and first.unit_name != row.unit_name:
            sheet.note(
                row.row,
                "unit_name",
                _("Row %(first)d names the unit with code %(uscc)s “%(name)s”; that name is used.")
                % {"first": first.row, "uscc": row.unit_uscc, "name": first.unit_name},
            )
