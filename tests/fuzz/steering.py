"""Steering valid cases towards the world, so the fuzz reaches past "no such object" and "stale
version" to the success paths: saving a draft, signing, submitting, endorsing, the formal check,
declaring, scoring, shortlisting, awarding, registering a unit, signing in.

Two in three positive cases are steered: the values a schema cannot know are replaced by real
ones of the world — the ``version`` of the object at the path id, ids of calls, applications
and experts, a guide task of the call, a unit code (USCC) that passes GB 32100, an ID number
that passes GB 11643, a real PDF, a demo login, the rubric's criteria with points in range, the
first page of a list. Every value stays valid against the schema, so a steered case is still a
positive one; the others, and every hostile case, are left as generated.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import schemathesis
from django.utils import timezone
from hypothesis import strategies as st

from tests.factories import PDF_BYTES, make_id_number, make_uscc


@dataclass
class Steering:
    """What the world offers the steered cases (filled by tests/fuzz/world.py)."""

    # (kind of the path id, id) -> the object's current version
    versions: dict[tuple[str, int], int] = field(default_factory=dict)
    calls: list[int] = field(default_factory=list)
    applications: list[int] = field(default_factory=list)
    reviewers: list[int] = field(default_factory=list)
    guide_tasks: list[int] = field(default_factory=list)
    field_codes: list[str] = field(default_factory=list)
    task_codes: list[str] = field(default_factory=list)
    # criterion code -> maximum points, of the demo call's rubric
    criteria: dict[str, Decimal] = field(default_factory=dict)
    logins: list[tuple[str, str]] = field(default_factory=list)
    partner_usccs: list[str] = field(default_factory=list)


def steered(base: st.SearchStrategy, steering: Steering, kind: str | None) -> st.SearchStrategy:
    """``base``'s cases, two in three of them steered (see the module's docstring)."""

    @st.composite
    def draw_case(draw: st.DrawFn) -> schemathesis.Case:
        case = draw(base)
        # Two in three; 0, hypothesis' simplest draw, steers, so the first cases are steered.
        if draw(st.integers(0, 2)) < 2:
            _steer(draw, case, steering, kind)
            # The steered values are the case's own, not edits to revalidate: schemathesis would
            # read a PDF's bytes for a binary string as a schema violation, and the case as a
            # hostile one. (Its way for values written after generation, such as auth.)
            case._record_starting_state()
        return case

    return draw_case()


def _steer(draw: st.DrawFn, case: schemathesis.Case, steering: Steering, kind: str | None) -> None:
    definition = case.operation.definition.raw
    query_names = {p["name"] for p in definition.get("parameters", []) if p.get("in") == "query"}
    if query_names:
        query = dict(case.query or {})
        for name, value in _query_values(draw, steering).items():
            if name in query_names:
                query[name] = value
        case.query = query
    if isinstance(case.body, dict):
        properties = _body_properties(case)
        body = dict(case.body)
        pk = (case.path_parameters or {}).get("id")
        for name, value in _body_values(draw, steering, case.media_type or "", kind, pk).items():
            if name not in properties or _constrained(properties[name]):
                continue
            if value is DROP:
                body.pop(name, None)
            else:
                body[name] = value
        case.body = body


# A key to leave out of the body (the declaration takes one of no_conflict and conflict).
DROP = object()


def _body_properties(case: schemathesis.Case) -> dict[str, dict]:
    content = case.operation.definition.raw.get("requestBody", {}).get("content", {})
    schema = content.get(case.media_type or "", {}).get("schema", {})
    ref = schema.get("$ref", "")
    if ref:
        schema = case.operation.schema.raw_schema["components"]["schemas"][ref.rsplit("/", 1)[-1]]
    return schema.get("properties", {})


def _constrained(schema: dict) -> bool:
    """An enum (the generated value is already one of the allowed): left as generated."""
    return any(key in schema for key in ("enum", "$ref", "allOf", "oneOf"))


def _query_values(draw: st.DrawFn, steering: Steering) -> dict[str, Any]:
    return {
        "page": 1,
        "call": draw(st.sampled_from(steering.calls)),
        "application": draw(st.sampled_from(steering.applications)),
        "reviewer": draw(st.sampled_from(steering.reviewers)),
        "field": draw(st.sampled_from(steering.field_codes)),
        "task": draw(st.sampled_from(steering.task_codes)),
    }


def _body_values(
    draw: st.DrawFn, steering: Steering, media_type: str, kind: str | None, pk: object
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "call": draw(st.sampled_from(steering.calls)),
        "application": draw(st.sampled_from(steering.applications)),
        "applications": draw(
            st.lists(st.sampled_from(steering.applications), min_size=1, max_size=3, unique=True)
        ),
        "reviewer": draw(st.sampled_from(steering.reviewers)),
        "guide_task": draw(st.sampled_from(steering.guide_tasks)),
        "partner_uscc": draw(st.sampled_from(steering.partner_usccs)),
        # A new unit: a code that passes the check and is not registered yet.
        "uscc": make_uscc(draw(st.integers(500_000, 999_999)), draw(st.sampled_from(["500000", "510000"]))),
        "id_number": make_id_number(draw(st.integers(0, 999)), born=date(1979, 6, 1)),
        "scores": {
            code: str(draw(st.integers(0, int(points)))) for code, points in steering.criteria.items()
        },
        "recommendation": draw(st.sampled_from(["fund", "changes", "reject"])),
        "comment": "技术路线清晰，建议资助。",
        "decision": draw(st.sampled_from(["upheld", "dismissed"])),
        "reason": "经核实，理由如下。",
        "no_conflict": True,
        "conflict": DROP,
        "amounts": {"SC": "300000.00", "CQ": "200000.00"},
        "start_date": timezone.localdate().isoformat(),
    }
    if media_type.startswith("multipart/"):
        values["file"] = PDF_BYTES
    if isinstance(pk, int) and (kind, pk) in steering.versions:
        values["version"] = steering.versions[kind, pk]
    email, password = draw(st.sampled_from(steering.logins))
    values.update(email=email, password=password)
    return values
