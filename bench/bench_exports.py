"""The award list of a call with 10,000 awards, downloaded as XLSX and as CSV through the page
(reviews:awards_export, Django's test client reading the whole response) — time and peak
memory of each, side by side with the floor: the same 10,000 rows, already in memory as plain
values, written by the same writer (``reviews.exports.write_xlsx`` / ``csv_chunks``), so the
ratio is what reading the database and serving the response add.

Peak memory is Python's (tracemalloc, a separate run from the timed ones): the CSV is streamed,
awards read ``reviews.selectors.exports.CHUNK`` at a time, so its peak must be the same for
1,000 and for 10,000 rows (ratio ≈ 1). The XLSX is built whole before it is sent (openpyxl's
write-only mode writes rows to a temporary file but keeps the table of shared strings — one
per distinct title, unit, name — in memory, and the finished file up to 8 MB): its peak is
printed, without a target.

Runs in this process on a throwaway test database (``create_test_db``: SQLite in memory by
default, ``portal_bench_exports_<pid>`` on PostgreSQL when DATABASE_URL names one), seeded
with ``bulk_create`` and dropped at the end.
"""

import io
import os
import statistics
import time
import tracemalloc
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from bench.table import Row

ROWS = 10_000
SMALL = 1_000
ROUNDS = 3
# A CSV of the whole call comes well within a proxy's timeout (30 s) on this machine, and its
# memory does not grow with the rows. The XLSX costs what openpyxl costs to write the cells
# (pure-Python XML without lxml): reading and serving may add at most 30 % to that floor.
TARGET_CSV_S = 3.0
TARGET_XLSX_RATIO = 1.3
TARGET_CSV_GROWTH = 1.25


def _seed(count: int, *, lead_units: list, partners: list, pi, fields: list):
    """A call with ``count`` awards written with bulk_create (the award factories' rows,
    without their per-row queries)."""
    from django.utils import timezone

    from applications.models import Application, ApplicationStatus, CallField, Partner
    from reviews.models import Award, AwardStatus
    from tests.factories import FundingCallFactory, GuideTaskFactory

    call = FundingCallFactory(budget_sc=Decimal("1e11"), budget_cq=Decimal("1e11"))
    tasks = [GuideTaskFactory(call=call, field=field) for field in fields]
    CallField.objects.bulk_create([CallField(call=call, field=field, quota=count) for field in fields])
    now = timezone.now()
    applications = Application.objects.bulk_create(
        [
            Application(
                call=call,
                guide_task=tasks[i % len(tasks)],
                province="SC" if i % 2 else "CQ",
                # Distinct titles, some with what a spreadsheet would take for a formula.
                title=(f'=HYPERLINK("x","{i}")' if i % 50 == 0 else f"川渝联合研发示范项目 第{i + 1}号"),
                lead_unit=lead_units[i % len(lead_units)],
                pi=pi,
                status=ApplicationStatus.SHORTLISTED,
                submitted_at=now,
                submission_count=1,
            )
            for i in range(count)
        ],
        batch_size=2000,
    )
    Partner.objects.bulk_create(
        [
            Partner(
                application=application,
                position=1,
                organization=partners[i % len(partners)],
                name=partners[i % len(partners)].name,
                uscc=partners[i % len(partners)].uscc,
                province=partners[i % len(partners)].located_province,
            )
            for i, application in enumerate(applications)
        ],
        batch_size=2000,
    )
    statuses = [AwardStatus.PROPOSED, AwardStatus.APPROVED, AwardStatus.FINAL]
    Award.objects.bulk_create(
        [
            Award(
                call=call,
                application=application,
                field_id=application.guide_task.field_id,
                amount_sc=Decimal(100 + i % 100) * 10000,
                amount_cq=Decimal(50 + i % 70) * 10000,
                status=statuses[i % len(statuses)],
                score=Decimal(6000 + i % 3000) / 100,
            )
            for i, application in enumerate(applications)
        ],
        batch_size=2000,
    )
    return call


def _paired_s(floor: Callable[[], object], work: Callable[[], object]) -> tuple[float, float]:
    """Median seconds of the floor and of the work, run in turns so that a busy machine slows
    both alike."""
    floor(), work()  # warm: code loaded, templates and translations read
    floors, works = [], []
    for _ in range(ROUNDS):
        for run_, samples in ((floor, floors), (work, works)):
            started = time.perf_counter()
            run_()
            samples.append(time.perf_counter() - started)
    return statistics.median(floors), statistics.median(works)


def _peak_bytes(work: Callable[[], object]) -> int:
    # Already warm (timed first): what is measured is the download, not imports and caches.
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def _measure() -> list[Row]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from reviews.exports import Table, award_list, csv_chunks, write_xlsx
    from reviews.selectors.exports import CHUNK
    from tests.factories import OrganizationFactory, ResearchFieldFactory, make_applicant
    from tests.reviews.factories import make_staff

    started = time.perf_counter()
    fields = [ResearchFieldFactory(code=code) for code in ("ai", "health", "eco", "agri")]
    lead_units = [OrganizationFactory(sichuan=i % 2 == 0) for i in range(40)]
    partners = [OrganizationFactory(sichuan=i % 2 == 1) for i in range(40)]
    pi = make_applicant(unit=lead_units[0])
    big = _seed(ROWS, lead_units=lead_units, partners=partners, pi=pi, fields=fields)
    small = _seed(SMALL, lead_units=lead_units, partners=partners, pi=pi, fields=fields)
    print(f"bench_exports: seeded {ROWS} + {SMALL} awards in {time.perf_counter() - started:.0f} s")

    client = Client()
    client.force_login(make_staff("SC"))

    def download(call, fmt: str) -> Callable[[], int]:
        url = reverse("reviews:awards_export", args=[call.pk]) + f"?format={fmt}"

        def work() -> int:
            response = client.get(url)
            assert response.status_code == 200, response.status_code
            size = 0
            # Read and drop each chunk, as a server sends it.
            for chunk in response.streaming_content:
                size += len(chunk)
            response.close()
            return size

        return work

    # The floor: the same rows as plain values in memory, through the same writers.
    values = [list(row) for row in award_list(big).rows]
    columns = award_list(big).columns
    assert len(values) == ROWS, len(values)

    def floor_csv() -> None:
        for _chunk in csv_chunks(Table("floor", columns, iter(values))):
            pass

    def floor_xlsx() -> None:
        write_xlsx(Table("floor", columns, iter(values), totals_label="Total"), io.BytesIO())

    csv_floor, csv_s = _paired_s(floor_csv, download(big, "csv"))
    xlsx_floor, xlsx_s = _paired_s(floor_xlsx, download(big, "xlsx"))
    csv_small_peak = _peak_bytes(download(small, "csv"))
    csv_peak = _peak_bytes(download(big, "csv"))
    xlsx_small_peak = _peak_bytes(download(small, "xlsx"))
    xlsx_peak = _peak_bytes(download(big, "xlsx"))
    queries = []

    def count(execute: Callable, sql: str, params: Any, many: bool, context: dict) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        csv_size = download(big, "csv")()
    xlsx_size = download(big, "xlsx")()
    # Session, user, call, its fields, guide tasks, the awards (one cursor), partners per chunk.
    target_queries = 6 + -(-ROWS // CHUNK)
    growth = csv_peak / csv_small_peak
    xlsx_growth = xlsx_peak / xlsx_small_peak
    print(
        f"bench_exports: {ROWS} rows — CSV {csv_size / 1024:.0f} KiB in {len(queries)} queries, "
        f"XLSX {xlsx_size / 1024:.0f} KiB; peak Python memory at {SMALL} / {ROWS} rows: "
        f"CSV {_mb(csv_small_peak)} / {_mb(csv_peak)}, XLSX {_mb(xlsx_small_peak)} / {_mb(xlsx_peak)}; "
        f"median of {ROUNDS} warm downloads on {connection.vendor}"
    )
    return [
        Row(f"exports: CSV writer alone, {ROWS} rows (floor)", f"{csv_floor:.2f} s", "", None, True),
        Row(
            f"exports: award list CSV download, {ROWS} rows",
            f"{csv_s:.2f} s, {len(queries)} queries",
            f"<= {TARGET_CSV_S:.0f} s, <= {target_queries} queries",
            csv_s / csv_floor,
            csv_s <= TARGET_CSV_S and len(queries) <= target_queries,
        ),
        Row(
            f"exports: CSV peak memory {SMALL} → {ROWS} rows",
            f"{_mb(csv_small_peak)} → {_mb(csv_peak)}",
            f"ratio <= {TARGET_CSV_GROWTH} (flat)",
            growth,
            growth <= TARGET_CSV_GROWTH,
        ),
        Row(f"exports: XLSX writer alone, {ROWS} rows (floor)", f"{xlsx_floor:.2f} s", "", None, True),
        Row(
            f"exports: award list XLSX download, {ROWS} rows",
            f"{xlsx_s:.2f} s",
            f"<= {TARGET_XLSX_RATIO} x floor",
            xlsx_s / xlsx_floor,
            xlsx_s <= TARGET_XLSX_RATIO * xlsx_floor,
        ),
        Row(
            f"exports: XLSX peak memory {SMALL} → {ROWS} rows",
            f"{_mb(xlsx_small_peak)} → {_mb(xlsx_peak)}",
            "printed",
            xlsx_growth,
            True,
        ),
    ]


def run() -> list[Row]:
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    old_name = connection.settings_dict["NAME"]
    old_test_name = connection.settings_dict["TEST"].get("NAME")
    if connection.vendor != "sqlite":
        # A name of its own, so that autoclobber never drops the database of a running pytest.
        connection.settings_dict["TEST"]["NAME"] = f"portal_bench_exports_{os.getpid()}"
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        with override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            PORTAL_REQUIRE_2FA=False,
            AXES_ENABLED=False,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
            # As in production: no query log kept in memory and timed with every query.
            DEBUG=False,
        ):
            return _measure()
    except Exception as error:  # a broken bench is a row of the table, never a crash of `make bench`
        print(f"bench_exports: failed — {type(error).__name__}: {error}")
        return [
            Row(
                f"exports: award list {ROWS} rows",
                f"failed: {type(error).__name__}",
                f"<= {TARGET_CSV_S:.0f} s CSV",
                None,
                False,
            )
        ]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        connection.settings_dict["TEST"]["NAME"] = old_test_name


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    import django

    django.setup()
    from bench.table import print_table

    print_table(run())
