"""Figures of a run: throughput and p50/p95/p99 per kind of request, errors (apart from the
requests that met a fault), and the resident memory of the web and worker processes."""

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from bench.load.client import Answer

MIB = 1024


@dataclass(frozen=True)
class KindFigures:
    kind: str
    count: int
    errors: int
    per_second: float
    p50: float
    p95: float
    p99: float


def _cut(seconds: list[float], percent: int) -> float:
    if len(seconds) == 1:
        return seconds[0] * 1000
    return statistics.quantiles(seconds, n=100, method="inclusive")[percent - 1] * 1000


def figures(answers: list[Answer], wall: float) -> list[KindFigures]:
    """Per kind (in first-seen order), then ``all`` for every answer together."""
    kinds: dict[str, list[Answer]] = {}
    for answer in answers:
        kinds.setdefault(answer.kind, []).append(answer)
    rows = []
    for kind, mine in [*kinds.items(), ("all", answers)]:
        if not mine:
            continue
        seconds = [a.seconds for a in mine]
        rows.append(
            KindFigures(
                kind=kind,
                count=len(mine),
                errors=sum(1 for a in mine if not a.ok),
                per_second=len(mine) / wall if wall > 0 else 0.0,
                p50=_cut(seconds, 50),
                p95=_cut(seconds, 95),
                p99=_cut(seconds, 99),
            )
        )
    return rows


def figures_table(rows: Iterable[KindFigures]) -> str:
    header = ("kind of request", "count", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors")
    lines = [
        (
            r.kind,
            str(r.count),
            f"{r.per_second:.1f}",
            f"{r.p50:.0f}",
            f"{r.p95:.0f}",
            f"{r.p99:.0f}",
            str(r.errors),
        )
        for r in rows
    ]
    widths = [max(len(cell) for cell in column) for column in zip(header, *lines, strict=True)]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in (header, tuple("-" * w for w in widths), *lines)
    )


def sample_errors(answers: Iterable[Answer], limit: int = 5) -> list[str]:
    return [
        f"  {a.kind}: {a.method} {a.path} -> {a.status or 'no answer'} {a.detail[:200]!r}"
        for a in [a for a in answers if not a.ok][:limit]
    ]


# --- Memory ----------------------------------------------------------------------------------

# Every process may end at most this much above where it started: 1.5 × + 50 MiB.
GROWTH_FACTOR = 1.5
GROWTH_SLACK_KIB = 50 * MIB
BOUND_TEXT = "end <= 1.5 x start + 50 MiB per process"


@dataclass(frozen=True)
class Process:
    role: str  # gunicorn master, gunicorn worker, celery main, celery child
    pid: int
    kib: int


def memory_table(start: list[Process], end: list[Process]) -> str:
    lines = ["process            pid      start MiB  end MiB"]
    before = {p.pid: p for p in start}
    for process in end:
        was = before.get(process.pid)
        shown = f"{was.kib / MIB:9.0f}" if was else "    (new)"
        lines.append(f"{process.role:<18} {process.pid:<8} {shown}  {process.kib / MIB:7.0f}")
    for role in dict.fromkeys(p.role for p in [*start, *end]):
        total_start = sum(p.kib for p in start if p.role == role) / MIB
        total_end = sum(p.kib for p in end if p.role == role) / MIB
        lines.append(f"{role + ' (sum)':<27} {total_start:9.0f}  {total_end:7.0f}")
    return "\n".join(lines)


def memory_growth(start: list[Process], end: list[Process]) -> tuple[float, list[str]]:
    """The largest ratio of a process's RSS at the end to its bound, and the processes over it.

    A process is compared with itself at the start; one started in between (a worker child
    recycled after CELERY_MAX_TASKS_PER_CHILD tasks) with the largest of its role at the start."""
    before = {p.pid: p.kib for p in start}
    largest: dict[str, int] = {}
    for process in start:
        largest[process.role] = max(largest.get(process.role, 0), process.kib)
    worst, over = 0.0, []
    for process in end:
        reference = before.get(process.pid, largest.get(process.role, process.kib))
        bound = GROWTH_FACTOR * reference + GROWTH_SLACK_KIB
        worst = max(worst, process.kib / bound)
        if process.kib > bound:
            over.append(
                f"{process.role} {process.pid}: {reference / MIB:.0f} -> {process.kib / MIB:.0f} MiB "
                f"(bound {bound / MIB:.0f} MiB)"
            )
    return worst, over
