"""The access matrix: every URL pattern of the portal (pages, accounts, jobs, the API under
/api/v1/, the schema and its documentation, /healthz, the admin site) walked with every role,
each answer compared with the table in tests/access/access_table.py.

- The table and the routes are compared both ways: a route (or a method it answers) without a
  row fails, and so does a row that no route uses.
- Each row is one test: its route walked with the 11 roles, each request in a transaction that
  is rolled back (the world, built once per module by conftest.py, stays as it is). A 500, or
  any answer other than the table's, fails with what the server said.
- Every answer (any status, pages, JSON and files) is searched for the world's secrets (the
  draft's title, ID numbers, the assigned expert's name, the objector's phone, verification
  codes…): a role that may not read one must never find it.
- Each method that a route does not answer gets 405.
- The table itself follows the design's rules (no 500, no redirect in the API, a visitor never
  sees more than a signed-in role, what a role may not see stays unseen whatever the method).

The world is built once per module and process: under pytest-xdist each process that takes
tests of this module builds its own (its tests come to it in order, so it does not build it
twice), and the walk is shared between the processes.
"""

import pytest

from tests.access import access_table
from tests.access.matrix import (
    Row,
    cell_count,
    coverage,
    methods_walked,
    routes_of,
    row_text,
    shadowed_routes,
    table_rows,
    values_of,
)
from tests.access.routes import WALKED_METHODS, all_routes
from tests.access.walk import answer
from tests.access.world import ROLES

pytestmark = pytest.mark.django_db

# The matrix had 3,531 cells (281 routes) when it was written; far fewer means that routes or
# roles went missing from the walk.
CELL_FLOOR = 3000

# Defects found by the matrix in code that another change must fix, with the answer the
# table expects once fixed: (route key, method, role) → what is wrong. The test passes (xfail)
# while exactly these cells answer otherwise, and fails as soon as one is fixed, so that the
# entry goes.
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {}


# --- The table and the routes -------------------------------------------------------------------


def test_every_route_and_every_method_it_answers_has_a_row():
    cover = coverage()
    lines = [
        row_text(route.key, method, ["???"] * len(ROLES), " ".join(f"{name}=?" for name in route.kwargs))
        for route, method in cover.missing
    ]
    assert not lines, (
        "Routes without a row in tests/access/access_table.py: add one per route and method, with "
        "the answer the design wants for each role (the failing walk then shows what they get):\n"
        + "\n".join(lines)
    )
    assert not cover.ambiguous, f"Several patterns of the table cover these routes: {cover.ambiguous}"


def test_every_row_of_the_table_is_used_by_a_route():
    stale = [f"{row.id}: {why}" for row, why in coverage().unused]
    assert not stale, "Rows of the table that no route uses (remove or rename them):\n" + "\n".join(stale)


def test_no_route_is_hidden_behind_another_pattern_unless_the_table_says_so():
    assert shadowed_routes() == access_table.SHADOWED


def test_the_matrix_walks_every_role_on_every_route(record_property):
    routes = all_routes()
    cells = cell_count()
    record_property("access_matrix_routes", len(routes))
    record_property("access_matrix_cells", cells)
    print(f"\naccess matrix: {len(routes)} routes, {len(table_rows())} rows, {cells} cells")
    assert {key for key, _method in coverage().row_of} == {route.key for route in routes}
    assert cells >= CELL_FLOOR


# --- The table follows the design -------------------------------------------------------------------


def _answers(row: Row) -> dict[str, str]:
    return dict(zip(ROLES, row.expected, strict=True))


def test_no_cell_of_the_table_expects_a_server_error():
    assert not [row.id for row in table_rows() if "500" in row.expected]


def test_the_api_never_redirects_and_answers_a_visitor_without_credentials_401_or_as_it_answers_anyone():
    api = [row for row in table_rows() if all(route.is_api for route in routes_of(row))]
    assert api
    redirects = [
        row.id for row in api if any(token.startswith("3") or token == "lgn" for token in row.expected)
    ]
    assert not redirects
    for row in api:
        anonymous = _answers(row)["anonymous"]
        # Public endpoints (the calls, the token, the schema) answer a visitor as they answer anyone.
        assert anonymous == "401" or len(set(row.expected)) == 1, row.id


def test_a_visitor_never_gets_more_than_a_signed_in_role():
    for row in table_rows():
        answers = _answers(row)
        if answers["anonymous"] in ("200", "201", "202", "204"):
            refused = [role for role, token in answers.items() if token in ("403", "404")]
            assert not refused, f"{row.id}: a visitor gets {answers['anonymous']}, {refused} are refused"


def test_what_a_role_may_not_see_it_may_not_change_either():
    """On one route with the same object, a role that gets 404 for GET gets 404 for every method."""
    by_route: dict[tuple[str, str], dict[str, Row]] = {}
    for row in table_rows():
        by_route.setdefault((row.key, row.objects), {})[row.method] = row
    for (key, _objects), rows in by_route.items():
        read = rows.get("GET")
        if read is None:
            continue
        for method, row in rows.items():
            for role, seen, acted in zip(ROLES, read.expected, row.expected, strict=True):
                if seen == "404":
                    assert acted == "404", f"{key}: {role} gets 404 for GET but {acted} for {method}"


# --- The walk ------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", table_rows(), ids=lambda row: row.id)
def test_each_role_gets_the_answer_of_the_table(row: Row, access_world, settings):
    world, clients = access_world
    # Files of the world (notice, attachments, objection, guide) live under its own media root.
    settings.MEDIA_ROOT = world.media_root
    routes = routes_of(row)
    assert routes, f"{row.id}: no route uses this row"
    wrong, leaks, known = [], [], []
    observed: dict[str, list[str]] = {}
    for route in routes:
        values, query = values_of(row, route, world)
        path = route.path(values)
        tokens = observed.setdefault(route.key, [])
        for role, expected in zip(ROLES, row.expected, strict=True):
            got = answer(clients[role], row.method, path, api=route.is_api, query=query)
            tokens.append(got.token)
            if got.token != expected:
                line = f"  {route.key} {row.method} {path} as {role}: expected {expected}, got {got.token}"
                if (route.key, row.method, role) in KNOWN_DEFECTS:
                    known.append((route.key, row.method, role))
                else:
                    wrong.append(f"{line}\n      {got.detail.strip()[:600]}")
            if role != "admin":
                # A secret in the URL is one the visitor holds already (a verification code).
                leaks += [
                    f"  {route.key} {row.method} {path} shows {secret.what} to {role}"
                    for secret in world.secrets
                    if role not in secret.readers and secret.text in got.body and secret.text not in path
                ]
    assert not leaks, "Answers that show what the role may not read:\n" + "\n".join(leaks)
    if wrong:
        seen = "\n".join(row_text(key, row.method, tokens, row.objects) for key, tokens in observed.items())
        pytest.fail(
            "Answers other than the table's (a 500 is a defect; any other difference is either a "
            "defect or a change of design that the table must follow):\n"
            + "\n".join(wrong)
            + f"\nWhat each role got:\n{seen}",
            pytrace=False,
        )
    expected_defects = {key for key in KNOWN_DEFECTS if key[0] in observed and key[1] == row.method}
    fixed = expected_defects - set(known)
    assert not fixed, f"Fixed, so remove from KNOWN_DEFECTS: {sorted(fixed)}"
    if known:
        pytest.xfail("; ".join(KNOWN_DEFECTS[key] for key in known))


# Django views that answer before they look at the method: a signed-in person on the sign-in
# page, and the password reset link (which moves its token to the session, then redirects).
# For these, a method they do not declare must get the very answer of GET: ignored, not acted on.
ANSWER_BEFORE_THE_METHOD = frozenset({"accounts:login", "accounts:password_reset_confirm"})


def test_each_method_that_a_route_does_not_answer_gets_405(access_world, settings):
    """Walked as the administrator, who passes every sign-in check, so that 405 is the answer."""
    world, clients = access_world
    settings.MEDIA_ROOT = world.media_root
    cover = coverage()
    wrong = []
    probes = 0
    for route in all_routes():
        if route.is_admin:
            continue
        answered = methods_walked(route)
        row = cover.row_of[(route.key, answered[0])]
        values, query = values_of(row, route, world)
        path = route.path(values)
        for method in WALKED_METHODS:
            if method in answered:
                continue
            probes += 1
            got = answer(clients["admin"], method, path, api=route.is_api, query=query)
            if got.token != "405" and route.key in ANSWER_BEFORE_THE_METHOD:
                read = answer(clients["admin"], "GET", path, api=route.is_api, query=query)
                if (got.token, got.detail) == (read.token, read.detail):
                    continue
            if got.token != "405":
                wrong.append(f"  {route.key} {method} {path}: {got.token} {got.detail.strip()[:300]}")
    print(f"\naccess matrix: {probes} requests with a method the route does not answer")
    assert not wrong, "Methods that a route does not declare, answered other than 405:\n" + "\n".join(wrong)


# Where a reader of each secret finds it: the leak check looks for texts that the pages do show.
WHERE_READERS_FIND_THEM = {
    "the draft's title": ("owner", "applications:detail", {"pk": "draft"}),
    "an endorsed application's title": ("staff_cq", "reviews:formal_check_detail", {"pk": "endorsed"}),
    "the title under review": ("expert_assigned", "reviews:assignment_detail", {"pk": "assignment"}),
    "a shortlisted application's title": ("staff_sc", "reviews:award_edit", {"pk": "shortlisted"}),
    "the owner's ID number": ("owner", "applications:edit", {"pk": "draft", "section": "'team'"}),
    "the teammate's ID number": ("teammate", "applications:edit", {"pk": "draft", "section": "'team'"}),
    "the assigned expert's name": ("staff_sc", "reviews:panel_detail", {"pk": "reviewing"}),
    "the expert's review comment": ("expert_assigned", "reviews:assignment_detail", {"pk": "assignment"}),
    "the objector's phone": ("staff_cq", "reviews:objection_detail", {"pk": "objection"}),
    "the submission's verification code": ("unit_admin", "applications:detail", {"pk": "submitted"}),
    "the notice's verification code": ("owner", "reviews:notice_detail", {"pk": "notice"}),
}


def test_each_secret_is_shown_to_one_of_its_readers(access_world, settings):
    """Otherwise the leak check would look for a text that no page shows."""
    from django.urls import reverse

    world, clients = access_world
    settings.MEDIA_ROOT = world.media_root
    assert set(WHERE_READERS_FIND_THEM) == {secret.what for secret in world.secrets}
    for secret in world.secrets:
        role, name, kwargs = WHERE_READERS_FIND_THEM[secret.what]
        assert role in secret.readers
        path = reverse(name, kwargs={key: world.value(value) for key, value in kwargs.items()})
        got = answer(clients[role], "GET", path, api=False)
        assert got.token == "200" and secret.text in got.body, f"{secret.what}: not on {path} for {role}"
