"""``manage.py export_awards --call ID --format csv|xlsx [--output PATH|-] [--applications]``:
the award list of a call (or, with ``--applications``, every application past submission with
its aggregates) as the pages and the API export it (``reviews/exports.py``).

Without ``--output`` the file is written to the current directory under the name the download
has (川渝联合研发立项清单-2021.xlsx); ``-`` writes to standard output (XLSX only when it is
not a terminal). Headers in ``--language`` (default: the portal's language, Chinese).
"""

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from applications.models import FundingCall
from reviews.exports import APPLICATIONS, AWARDS, CSV, FORMATS, XLSX, build, csv_chunks, filename, write_xlsx


class Command(BaseCommand):
    help = "Export the award list (or all applications with their aggregates) of a call as CSV or XLSX."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--call", type=int, required=True, help="Id of the funding call.")
        parser.add_argument("--format", choices=FORMATS, default=XLSX, help="csv or xlsx (default xlsx).")
        parser.add_argument(
            "--output",
            help="File to write, or - for standard output (default: the download's name in the current directory).",
        )
        parser.add_argument(
            "--applications",
            action="store_true",
            help="Every application past submission with its aggregates instead of the award list.",
        )
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            default=settings.LANGUAGE_CODE,
            help="Language of the headers and labels (default: %(default)s).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        call = FundingCall.objects.filter(pk=options["call"]).first()
        if call is None:
            raise CommandError(f"There is no funding call with id {options['call']}.")
        kind = APPLICATIONS if options["applications"] else AWARDS
        fmt = options["format"]
        output = options["output"] or filename(kind, call, fmt)
        with translation.override(options["language"]):
            table = build(kind, call)
            counted = _Counted(table.rows)
            table.rows = counted
            if output == "-":
                self._to_stdout(table, fmt)
                where = "standard output"
            else:
                path = Path(output)
                try:
                    with path.open("wb") as target:
                        _write(table, fmt, target)
                except OSError as error:
                    raise CommandError(f"Cannot write {path}: {error}") from error
                where = str(path)
        what = "applications" if kind == APPLICATIONS else "awards"
        self.stderr.write(
            f"Wrote {counted.count} {what} of call {call.pk} ({call.year}) as {fmt.upper()} to {where}."
        )

    def _to_stdout(self, table: Any, fmt: str) -> None:
        # OutputWrapper hands attributes on to the stream it wraps: a real stdout has a buffer.
        binary = getattr(self.stdout, "buffer", None)
        if binary is None:
            if fmt == XLSX:
                raise CommandError("Standard output takes no binary data here; use --output FILE for XLSX.")
            for chunk in csv_chunks(table):
                self.stdout.write(chunk.decode("utf-8"), ending="")
            self.stdout.flush()
            return
        if fmt == XLSX and self.stdout.isatty():
            raise CommandError(
                "Refusing to write a workbook to a terminal; redirect it or use --output FILE."
            )
        self.stdout.flush()
        _write(table, fmt, binary)
        binary.flush()


def _write(table: Any, fmt: str, target: IO[bytes]) -> None:
    if fmt == CSV:
        for chunk in csv_chunks(table):
            target.write(chunk)
    else:
        write_xlsx(table, target)


class _Counted:
    """The rows of a table, counted as they are read."""

    def __init__(self, rows: Any) -> None:
        self.rows = rows
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        for row in self.rows:
            self.count += 1
            yield row
