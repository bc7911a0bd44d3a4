"""Reading the table (tests/access/access_table.py) against the routes: which row gives the
answers of which route and method, with which objects in its URL.

A row's key is a route's key, or a pattern of keys for the admin site: ``*`` matches any
text and ``{a,b}`` lists alternatives. A route takes the row with its exact key (or an
alternative that spells it out); failing that, the one pattern that matches it. Two patterns
for one route, or none, is an error of the table.
"""

import functools
import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from tests.access import access_table
from tests.access.routes import Route, all_routes, methods_of
from tests.access.world import ROLES, World

ADMIN_METHODS = ("GET",)


@dataclass(frozen=True)
class Row:
    key: str
    method: str
    expected: tuple[str, ...]
    objects: str

    @property
    def id(self) -> str:
        # A list of alternatives is named by its size: ``admin:{18 names}_add GET``.
        key = re.sub(r"\{([^{}]*)\}", lambda match: f"{{{len(match[1].split(','))} names}}", self.key)
        return f"{key} {self.method}"

    @functools.cached_property
    def patterns(self) -> tuple[str, ...]:
        return _expand(self.key)

    @property
    def is_pattern(self) -> bool:
        return any("*" in pattern for pattern in self.patterns)


def _expand(key: str) -> tuple[str, ...]:
    """``admin:{a,b}_add`` → ``admin:a_add``, ``admin:b_add``."""
    match = re.search(r"\{([^{}]*)\}", key)
    if match is None:
        return (key,)
    head, tail = key[: match.start()], key[match.end() :]
    return tuple(
        expanded for choice in match[1].split(",") for expanded in _expand(head + choice.strip() + tail)
    )


@functools.cache
def table_rows() -> tuple[Row, ...]:
    rows = []
    for key, method, expected, objects in access_table.TABLE:
        tokens = tuple(expected.split())
        if len(tokens) != len(ROLES):
            raise ValueError(f"{key} {method}: {len(tokens)} answers for {len(ROLES)} roles")
        rows.append(Row(key, method, tokens, objects))
    return tuple(rows)


def methods_walked(route: Route) -> tuple[str, ...]:
    """The admin site is walked with GET; every other route with each method it answers."""
    return ADMIN_METHODS if route.is_admin else methods_of(route)


@dataclass
class Coverage:
    # (route key, method) → the row that gives its answers.
    row_of: dict[tuple[str, str], Row]
    # (route key, method) that no row covers.
    missing: list[tuple[Route, str]]
    # Rows that cover nothing, and why.
    unused: list[tuple[Row, str]]
    # (route key, method) that several patterns cover.
    ambiguous: list[tuple[str, str, list[str]]]


@functools.cache
def coverage() -> Coverage:
    rows = table_rows()
    exact: dict[tuple[str, str], Row] = {}
    patterns: list[Row] = []
    for row in rows:
        if row.is_pattern:
            patterns.append(row)
        else:
            for key in row.patterns:
                exact[(key, row.method)] = row
    row_of: dict[tuple[str, str], Row] = {}
    missing, ambiguous = [], []
    for route in all_routes():
        for method in methods_walked(route):
            if (route.key, method) in exact:
                row_of[(route.key, method)] = exact[(route.key, method)]
                continue
            matching = [
                row
                for row in patterns
                if row.method == method and any(fnmatchcase(route.key, pattern) for pattern in row.patterns)
            ]
            if len(matching) == 1:
                row_of[(route.key, method)] = matching[0]
            elif matching:
                ambiguous.append((route.key, method, [row.key for row in matching]))
            else:
                missing.append((route, method))
    used = {id(row) for row in row_of.values()}
    keys = {route.key for route in all_routes()}
    unused = []
    for row in rows:
        if id(row) in used:
            continue
        known = [key for key in row.patterns if key in keys] if not row.is_pattern else []
        if row.is_pattern:
            why = "no route matches it (or every match has a row of its own)"
        elif len(known) < len(row.patterns):
            why = f"no route named {sorted(set(row.patterns) - keys)}"
        else:
            why = f"the route does not answer {row.method}"
        unused.append((row, why))
    # An alternative of an exact row that names no route is stale too, even if others are used.
    for row in rows:
        if not row.is_pattern and id(row) in used:
            absent = [key for key in row.patterns if key not in keys]
            if absent:
                unused.append((row, f"no route named {absent}"))
    return Coverage(row_of, missing, unused, ambiguous)


def routes_of(row: Row) -> list[Route]:
    """The routes whose answers to ``row.method`` this row gives."""
    cover = coverage()
    return [route for route in all_routes() if cover.row_of.get((route.key, row.method)) is row]


def cell_count() -> int:
    return len(coverage().row_of) * len(ROLES)


# --- The objects in a route's URL ------------------------------------------------------------------


def values_of(row: Row, route: Route, world: World) -> tuple[dict[str, Any], dict[str, str]]:
    """The URL's arguments and query of ``route`` for ``row``: from the row's objects
    (``pk=draft section='basics' ?call=call_open``), or, on the admin site, one object of the
    page's model."""
    values: dict[str, Any] = {}
    query: dict[str, str] = {}
    for part in row.objects.split():
        name, _, value = part.partition("=")
        if name.startswith("?"):
            query[name[1:]] = str(world.value(value))
        else:
            values[name] = world.value(value)
    if route.is_admin:
        values = admin_values(route, world) | values
    return values, query


def admin_values(route: Route, world: World) -> dict[str, Any]:
    """An admin page of a model gets the model's object in the world (its first row); the
    other arguments a value each: an app's index, an unknown page, an object's "view on site"."""
    from django.contrib.contenttypes.models import ContentType

    from applications.models import FundingCall

    values: dict[str, Any] = {
        "app_label": "reviews",
        "url": "no-such-page/",
        "content_type_id": ContentType.objects.get_for_model(FundingCall).pk,
        "object_id": world.value("call_open"),
    }
    match = re.match(r"admin/(\w+)/(\w+)/", route.pattern)
    if match and f"admin:{match[1]}.{match[2]}" in world.objects:
        pk = world.value(f"admin:{match[1]}.{match[2]}")
        values |= {"object_id": pk, "id": pk, "pk": pk}
    return values


def shadowed_routes() -> set[str]:
    """Routes whose URL another pattern answers first (they can never be reached)."""
    from django.urls import Resolver404, resolve

    found = set()
    for route in all_routes():
        sample = dict.fromkeys(route.kwargs, 1) | {"app_label": "reviews", "url": "x/"}
        try:
            match = resolve(route.path(sample))
        except Resolver404:
            found.add(route.key)
            continue
        if match.func is not route.callback:
            found.add(route.key)
    return found


def row_text(key: str, method: str, tokens: list[str] | tuple[str, ...], objects: str) -> str:
    """A row as the table writes it (for messages that propose one)."""
    return f'("{key}", "{method}", "{" ".join(tokens)}", "{objects}"),'
