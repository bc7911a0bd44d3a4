"""``manage.py export_awards``: the award list (or all applications with their aggregates) of
a call to a file or to standard output, as the pages export it."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from reviews.models import AwardStatus
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_call_with_rubric
from tests.reviews.test_ranking import build_call

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def call():
    call = make_call_with_rubric()
    make_award(call, field="ai", amount_sc=D("500000"), amount_cq=D("300000"), title="=cmd|' /C calc'!A0")
    make_award(call, field="health", amount_sc=D("250000"), amount_cq=D("0"), status=AwardStatus.FINAL)
    make_award(call, field="ai", status=AwardStatus.WITHDRAWN)
    return call


def run(*args: str) -> tuple[bytes, str]:
    """Run the command; (standard output as bytes, standard error)."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    err = io.StringIO()
    call_command("export_awards", *args, stdout=out, stderr=err)
    out.flush()
    return out.buffer.getvalue(), err.getvalue()


def test_it_writes_the_xlsx_award_list_to_a_file(call, tmp_path):
    target = tmp_path / "awards.xlsx"

    _out, err = run("--call", str(call.pk), "--format", "xlsx", "--output", str(target))

    sheet = openpyxl.load_workbook(target).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0][2] == "项目名称"  # Chinese by default
    assert len(rows) == 4  # header, two live awards, totals
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert rows[-1][0] == "合计"
    assert rows[-1][9:12] == [75, 30, 105]
    assert "Wrote 2 awards" in err


def test_it_writes_csv_to_standard_output_in_english_on_request(call):
    out, err = run("--call", str(call.pk), "--format", "csv", "--output", "-", "--language", "en")

    assert out.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(out.decode("utf-8-sig"), newline="")))
    assert rows[0][:3] == ["No.", "Notice number", "Project title"]
    assert [row[9:12] for row in rows[1:]] == [["50.00", "30.00", "80.00"], ["25.00", "0.00", "25.00"]]
    assert "standard output" in err


def test_without_output_it_writes_the_downloads_name_in_the_current_directory(call, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    run("--call", str(call.pk), "--format", "csv")

    written = tmp_path / "川渝联合研发立项清单-2021.csv"
    assert written.read_bytes().startswith(b"\xef\xbb\xbf")


def test_applications_exports_every_application_with_its_aggregates(tmp_path):
    call, _experts, applications = build_call(3, experts=10, reviews=5)
    target = tmp_path / "applications.csv"

    _out, err = run(
        "--call",
        str(call.pk),
        "--format",
        "csv",
        "--applications",
        "--output",
        str(target),
        "--language",
        "en",
    )

    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"), newline="")))
    assert rows[0][0] == "Rank"
    assert sorted(row[1] for row in rows[1:]) == sorted(a.reference for a in applications)
    assert [row[0] for row in rows[1:]] == ["1", "2", "3"]
    assert all(row[11] == "5" for row in rows[1:])
    assert "Wrote 3 applications" in err


def test_an_unknown_call_is_an_error():
    with pytest.raises(CommandError, match="no funding call with id 999999"):
        run("--call", "999999", "--format", "csv", "--output", "-")


def test_an_unknown_format_is_refused_by_the_parser(call):
    with pytest.raises(CommandError, match="invalid choice: 'pdf'"):
        run("--call", str(call.pk), "--format", "pdf")


def test_xlsx_is_not_written_to_a_text_only_output(call):
    with pytest.raises(CommandError, match="use --output FILE"):
        call_command(
            "export_awards", "--call", str(call.pk), "--format", "xlsx", "--output", "-", stdout=io.StringIO()
        )


def test_csv_is_written_to_a_text_only_output(call):
    out = io.StringIO()

    call_command(
        "export_awards",
        "--call",
        str(call.pk),
        "--format",
        "csv",
        "--output",
        "-",
        stdout=out,
        stderr=io.StringIO(),
    )

    assert out.getvalue().startswith("\ufeff")
    assert out.getvalue().count("\r\n") == 3


def test_an_unwritable_output_is_an_error(call, tmp_path):
    with pytest.raises(CommandError, match="Cannot write"):
        run("--call", str(call.pk), "--format", "csv", "--output", str(tmp_path / "missing" / "x.csv"))


class _Pipe(io.RawIOBase):
    """A pipe's end: written to, never sought."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, chunk: bytes) -> int:
        self.data += chunk
        return len(chunk)


def test_xlsx_is_written_to_a_pipe(call):
    pipe = _Pipe()
    out = io.TextIOWrapper(io.BufferedWriter(pipe), encoding="utf-8")

    call_command(
        "export_awards",
        "--call",
        str(call.pk),
        "--format",
        "xlsx",
        "--output",
        "-",
        stdout=out,
        stderr=io.StringIO(),
    )
    out.flush()

    sheet = openpyxl.load_workbook(io.BytesIO(bytes(pipe.data))).active
    assert sheet.max_row == 4
