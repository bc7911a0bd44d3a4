"""Schemathesis against the portal's own OpenAPI schema (/api/schema/), as every role.

For each operation of the schema and each role — anonymous, the applicant who owns drafts,
their unit's administrator, the expert with assignments, staff of Sichuan and of Chongqing, the
administrator — the fuzz sends requests generated from the schema through the portal's WSGI
handler, in-process: valid ones (positive) and hostile ones that violate the schema (negative:
wrong types, missing required fields, values out of range or pattern, broken JSON, bad path
ids), hostile bodies as JSON wherever the operation reads JSON. Every answer is checked
(tests/fuzz/harness.py): no server error (no 5xx); the status code, content type and body are
what the schema documents; a hostile request is refused (4xx), never accepted — unless the API
reads it as valid by one of its stated conventions (``read_leniently``).

Reaching past the 404s: with an ``{id}``, half the cases name an object the role acts on (its
draft, its assignment; tests/fuzz/world.py), a quarter any real object, the rest a generated id;
two in three valid cases carry real values where the schema cannot know them — the object's
version, ids of calls and experts, a USCC that passes the check (tests/fuzz/steering.py).
Every case runs in a savepoint rolled back after its answer (its on-commit work — emails,
PDFs, assignment runs — runs first, eagerly), so the world is the same for every case, in
every order and on every xdist worker.

Budget (CI: 2 cores, PostgreSQL): per operation and role 8 valid and 5 hostile cases; a door
check of 3 + 2 for a role with no object of the kind the ``{id}`` names, and 2 + 2 for anonymous
callers (refused before their input is read); fewer for the operations that render PDFs or run
a solver (``HEAVY``). Generation is derandomized: the same cases on every run. A last test puts
a NUL character into every free-text input (PostgreSQL refuses it in text, SQLite does not).
The counts are printed at the end of the run (tests/fuzz/counts.py; per operation with -v).
"""

import contextlib
import traceback

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.fuzz import counts
from tests.fuzz.harness import read_leniently, send, token_header
from tests.fuzz.steering import steered
from tests.fuzz.world import ROLE_LOGINS, World

pytestmark = pytest.mark.django_db

ROLES = list(ROLE_LOGINS)


# Examples per operation and role: the budget of the fuzz (see the module's docstring). A role
# with no object of the kind an operation's {id} names (an expert and applications, an
# applicant and awards…) can only be refused: a door check of a few cases says as much, as it
# does for anonymous callers, refused before any input is read.
POSITIVE_EXAMPLES = 8
NEGATIVE_EXAMPLES = 5
DOOR_CHECK_EXAMPLES = {"positive": 3, "negative": 2}
ANONYMOUS_EXAMPLES = 2

# Operations whose successful answer runs heavy work at commit — a PDF through WeasyPrint
# (about a second each), the assignment solver, the CP-SAT suggestion: fewer examples, so that
# the fuzz stays within its CI budget.
HEAVY: dict[str, int] = {
    "GET /api/v1/applications/{id}/pdf/": 3,
    "POST /api/v1/notices/{id}/regenerate/": 3,
    "POST /api/v1/calls/{id}/notices/": 3,
    "POST /api/v1/calls/{id}/assignments/run/": 4,
    "POST /api/v1/calls/{id}/awards/suggest/": 4,
}


# The schema as generated, read at collection for the parameters of the tests (the tests
# themselves use the schema the portal serves, and check that both list the same operations).
SCHEMA = SchemaGenerator().get_schema(request=None, public=True)
OPERATIONS = [f"{method.upper()} {path}" for path, methods in SCHEMA["paths"].items() for method in methods]


def examples_for(role: str, operation: schemathesis.APIOperation, mode: GenerationMode, world: World) -> int:
    kind = id_kind(operation.path)
    if mode == GenerationMode.NEGATIVE and kind is None and not inputs_besides_the_id(operation):
        # Nothing to get wrong (GET /auth/me/): no hostile case exists.
        return 0
    if role == "anonymous":
        return ANONYMOUS_EXAMPLES
    if kind is not None and (role, kind) not in world.own:
        return DOOR_CHECK_EXAMPLES[mode.value]
    wanted = POSITIVE_EXAMPLES if mode == GenerationMode.POSITIVE else NEGATIVE_EXAMPLES
    return min(wanted, HEAVY.get(operation.label, wanted))


def id_kind(path: str) -> str | None:
    """The kind of object ``{id}`` names in ``path`` (/api/v1/<kind>/{id}/…)."""
    parts = path.strip("/").split("/")
    if "{id}" not in parts:
        return None
    return parts[parts.index("{id}") - 1]


def inputs_besides_the_id(operation: schemathesis.APIOperation) -> bool:
    """Whether the operation reads anything a case can get wrong other than its path id."""
    definition = operation.definition.raw
    parameters = [p for p in definition.get("parameters", []) if p.get("in") != "path"]
    return bool(parameters) or "requestBody" in definition


def strategies(
    operation: schemathesis.APIOperation, mode: GenerationMode, world: World, role: str, examples: int
) -> list[tuple[st.SearchStrategy, int]]:
    """The cases of ``operation`` to send, as (strategy, number of examples). With an ``{id}``:
    half name an object the role acts on (its draft, its assignment…; any real one for a role
    without), a quarter any real object of the world, the rest a generated id (mostly none)."""
    generated = operation.as_strategy(generation_mode=mode)
    kind = id_kind(operation.path)
    # A hostile case with a real id must be hostile elsewhere: in its query or body.
    if kind is None or (mode == GenerationMode.NEGATIVE and not inputs_besides_the_id(operation)):
        parts = [(generated, examples)]
    else:

        def naming(pks: list[int]) -> st.SearchStrategy:
            return st.one_of(
                [operation.as_strategy(generation_mode=mode, path_parameters={"id": pk}) for pk in pks]
            )

        real = naming(world.ids[kind])
        own = naming(world.own[role, kind]) if (role, kind) in world.own else real
        on_own = (examples + 1) // 2
        on_real = (examples - on_own + 1) // 2
        parts = [(own, on_own), (real, on_real), (generated, examples - on_own - on_real)]
    if mode == GenerationMode.POSITIVE:
        parts = [(steered(strategy, world.steering, kind), n) for strategy, n in parts]
    return [(strategy, n) for strategy, n in parts if n]


def fuzz(
    *,
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    examples: int,
    role: str,
    headers: dict[str, str],
    app: object,
    world: World,
    count: bool = True,
) -> int:
    """Send up to ``examples`` cases of ``mode``; the number sent."""
    sent = 0

    def recorded(case: schemathesis.Case, response: schemathesis.Response) -> None:
        counts.record(role, operation.label, mode.value, response.status_code, lenient=read_leniently(case))

    for strategy, n in strategies(operation, mode, world, role, examples):

        @hypothesis_settings(
            max_examples=n,
            derandomize=True,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def one(case: schemathesis.Case) -> None:
            nonlocal sent
            sent += 1
            send(case, app=app, headers=headers, answered=recorded if count else None)

        # Unsatisfiable: no case of this mode could be made (a real id leaves nothing to get wrong).
        with contextlib.suppress(Unsatisfiable):
            one()
    return sent


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation_label", OPERATIONS)
def test_the_api_answers_every_role_within_its_schema_without_server_errors(
    operation_label: str, role: str, world: World, api_schema, hostile_schema, wsgi_app, settings, world_media
) -> None:
    settings.MEDIA_ROOT = world_media
    method, path = operation_label.split(" ", 1)
    schemas = {GenerationMode.POSITIVE: api_schema, GenerationMode.NEGATIVE: hostile_schema}
    token = world.tokens[role]
    headers = token_header(token)

    sent = {
        mode: fuzz(
            operation=schemas[mode][path][method],
            mode=mode,
            examples=examples_for(role, schemas[mode][path][method], mode, world),
            role=role,
            headers=headers,
            app=wsgi_app,
            world=world,
        )
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    }

    assert sent[GenerationMode.POSITIVE] >= 1


def test_the_fuzz_covers_every_operation_the_portal_serves(api_schema) -> None:
    served = {result.ok().label for result in api_schema.get_all_operations()}

    assert served == set(OPERATIONS)


def test_the_fuzz_reports_a_server_error_with_the_traceback_of_its_cause(
    world: World, api_schema, wsgi_app, monkeypatch
) -> None:
    from portal.jobs.api import JobView

    def crash(self: JobView, request: object, pk: int) -> None:
        raise RuntimeError("planted by the fuzz's own test")

    monkeypatch.setattr(JobView, "get", crash)

    # What hypothesis re-raises is schemathesis' FailureGroup, a BaseExceptionGroup.
    with pytest.raises(BaseException) as failure:
        fuzz(
            operation=api_schema["/api/v1/jobs/{id}/"]["GET"],
            mode=GenerationMode.POSITIVE,
            examples=3,
            role="admin",
            headers=token_header(world.tokens["admin"]),
            app=wsgi_app,
            world=world,
            count=False,
        )

    report = "".join(traceback.format_exception(failure.value))
    assert "Server error" in report
    assert "planted by the fuzz's own test" in report


NUL_TEXT = "川渝\x00"


def text_inputs(operation_label: str) -> tuple[list[str], list[str], bool]:
    """The operation's free-text query parameters and JSON body properties, and whether its
    body carries a version."""
    method, path = operation_label.split(" ", 1)
    definition = SCHEMA["paths"][path][method.lower()]

    def free_text(schema: dict) -> bool:
        return schema.get("type") == "string" and not {"enum", "format", "readOnly"} & set(schema)

    query = [
        p["name"] for p in definition.get("parameters", []) if p["in"] == "query" and free_text(p["schema"])
    ]
    body_schema = (
        definition.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    )
    properties = (
        SCHEMA["components"]["schemas"][body_schema["$ref"].rsplit("/", 1)[-1]].get("properties", {})
        if "$ref" in body_schema
        else {}
    )
    return query, [name for name, schema in properties.items() if free_text(schema)], "version" in properties


TEXT_OPERATIONS = [label for label in OPERATIONS if any(text_inputs(label)[:2])]


@pytest.mark.parametrize("role", ["applicant", "unit_admin", "expert", "staff_cq"])
@pytest.mark.parametrize("operation_label", TEXT_OPERATIONS)
def test_a_nul_character_in_any_text_input_is_refused_never_a_server_error(
    operation_label: str, role: str, world: World, api_schema, wsgi_app, settings, world_media
) -> None:
    """PostgreSQL refuses a NUL character in text where SQLite stores it: text that reaches the
    database unchecked is a 500 on PostgreSQL only. Every free-text input of the operation at
    once, on an object the role acts on, with its current version."""
    settings.MEDIA_ROOT = world_media
    method, path = operation_label.split(" ", 1)
    query_names, body_names, versioned = text_inputs(operation_label)
    kind = id_kind(path)
    pk = (world.own.get((role, kind)) or world.ids.get(kind) or [None])[0]
    body = dict.fromkeys(body_names, NUL_TEXT)
    if versioned and (kind, pk) in world.steering.versions:
        body["version"] = world.steering.versions[kind, pk]
    case = api_schema[path][method].Case(
        path_parameters={"id": pk} if kind else {},
        query=dict.fromkeys(query_names, NUL_TEXT),
        **({"body": body, "media_type": "application/json"} if body_names else {}),
    )

    response = send(case, app=wsgi_app, headers=token_header(world.tokens[role]))

    counts.record(role, operation_label, "nul", response.status_code)
    assert response.status_code < 500
