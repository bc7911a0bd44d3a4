"""What the API fuzz tried, counted per process and summed over the xdist workers: the
operations and roles covered, the cases sent per generation mode (positive: data the schema
allows; negative: hostile data that violates it; nul: a NUL character in every text input)
and the status codes the portal answered.

The fuzz tests record each case here; tests/fuzz/conftest.py prints the sum at the end of the
run (``pytest tests/fuzz``; under xdist the workers hand their counts to the controller).
"""

from collections import Counter
from typing import Any

# (role, "METHOD /path", mode) -> cases sent
CASES: Counter[tuple[str, str, str]] = Counter()
# (mode, status code) -> responses
STATUSES: Counter[tuple[str, int]] = Counter()
# Hostile cases the API reads as valid by a stated convention (tests/fuzz/harness.py).
LENIENT: Counter[str] = Counter()
# ("METHOD /path", status code) -> responses, for the detailed summary (pytest -v).
BY_OPERATION: Counter[tuple[str, int]] = Counter()


def record(role: str, operation: str, mode: str, status: int, *, lenient: bool = False) -> None:
    CASES[role, operation, mode] += 1
    STATUSES[mode, status] += 1
    BY_OPERATION[operation, status] += 1
    if lenient:
        LENIENT[mode] += 1


def dump() -> dict[str, Any]:
    return {
        "cases": [[*key, n] for key, n in CASES.items()],
        "statuses": [[*key, n] for key, n in STATUSES.items()],
        "lenient": list(LENIENT.items()),
        "by_operation": [[*key, n] for key, n in BY_OPERATION.items()],
    }


def merge(data: dict[str, Any] | None) -> None:
    if not data:
        return
    for role, operation, mode, n in data["cases"]:
        CASES[role, operation, mode] += n
    for mode, status, n in data["statuses"]:
        STATUSES[mode, int(status)] += n
    for mode, n in data["lenient"]:
        LENIENT[mode] += n
    for operation, status, n in data["by_operation"]:
        BY_OPERATION[operation, int(status)] += n


def totals() -> dict[str, int]:
    out: Counter[str] = Counter()
    for (_role, _operation, mode), n in CASES.items():
        out[mode] += n
    return dict(out)


def summary(*, detailed: bool = False) -> str:
    if not CASES:
        return ""
    operations = {operation for _role, operation, _mode in CASES}
    roles = {role for role, _operation, _mode in CASES}
    by_mode = totals()
    lines = [
        f"{len(operations)} operations x {len(roles)} roles ({', '.join(sorted(roles))}): "
        f"{sum(by_mode.values())} cases",
        f"  positive (valid by the schema): {by_mode.get('positive', 0)}",
        f"  negative (hostile, violating the schema): {by_mode.get('negative', 0)}, of which "
        f"{LENIENT['negative']} read as valid by a convention of the API (checked for all but the refusal)",
        f"  NUL character in every text input (hostile to PostgreSQL): {by_mode.get('nul', 0)}",
    ]
    for mode in ("positive", "negative", "nul"):
        statuses = sorted((status, n) for (m, status), n in STATUSES.items() if m == mode)
        if statuses:
            lines.append(f"  {mode} answers: " + ", ".join(f"{status}: {n}" for status, n in statuses))
    if detailed:
        for operation in sorted(operations):
            statuses = sorted((status, n) for (op, status), n in BY_OPERATION.items() if op == operation)
            lines.append(f"  {operation}: " + ", ".join(f"{status}: {n}" for status, n in statuses))
    return "\n".join(lines)
