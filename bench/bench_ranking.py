"""The ranking of a call with 250 applications of 5 submitted reviews each: the page
(reviews:ranking) and the endpoint (GET /api/v1/calls/{id}/ranking/) through Django's test
client, side by side with the pure aggregation (reviews/scoring.py on the same reviews as
plain dataclasses) — the floor, since the page and the endpoint compute exactly that plus
their reads and rendering. Queries are counted for each, at 10 and at 250 applications:
they must be the same (no query per row).

Runs in this process on a throwaway test database (``create_test_db``: SQLite in memory by
default, ``portal_bench_ranking_<pid>`` on PostgreSQL when DATABASE_URL names one), built with the rows of
tests/reviews/test_ranking.py (the data of the test that pins the query count) and dropped
at the end.
"""

import os
import statistics
import time
from collections.abc import Callable

from bench.table import Row

APPLICATIONS = 250
SMALL = 10
REVIEWS = 5
EXPERTS = 40
ROUNDS = 7
# What tests/reviews/test_ranking.py pins.
MAX_QUERIES = 9
# A staff page of 250 rows, warm, on this machine (2 cores).
TARGET_MS = 500


def _median_ms(work: Callable[[], object]) -> float:
    work()  # warm: templates compiled, code loaded
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def _queries(work: Callable[[], object]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        work()
    return len(context.captured_queries)


def _measure() -> list[Row]:
    from django.test import Client
    from django.urls import reverse
    from rest_framework.test import APIClient

    from reviews import scoring
    from reviews.selectors.ranking import _submitted_reviews, ranking_of_call
    from reviews.services.rubric import criteria_copy_default
    from tests.reviews.factories import make_staff
    from tests.reviews.test_ranking import build_call

    started = time.perf_counter()
    call, _experts, _made = build_call(APPLICATIONS, experts=EXPERTS, reviews=REVIEWS)
    small, _small_experts, _small_made = build_call(SMALL, experts=EXPERTS, reviews=REVIEWS)
    print(
        f"bench_ranking: seeded {APPLICATIONS} + {SMALL} applications × {REVIEWS} reviews "
        f"in {time.perf_counter() - started:.0f} s"
    )
    staff = make_staff("SC")
    page, api = Client(), APIClient()
    page.force_login(staff)
    api.force_authenticate(staff)

    def get_page(target=call) -> None:
        response = page.get(reverse("reviews:ranking", args=[target.pk]))
        assert response.status_code == 200, response.status_code

    def get_api(target=call) -> None:
        response = api.get(reverse("api-ranking", args=[target.pk]))
        assert response.status_code == 200, response.status_code

    # The floor: the same reviews already read, aggregated and ranked by the pure module.
    criteria = criteria_copy_default(call=call, by=None)
    specs = [scoring.CriterionSpec(c.code, c.weight, c.max_points) for c in criteria]
    reviews, _reviewers = _submitted_reviews(call, specs)
    candidates = [scoring.Candidate(a.pk, a.submitted_at) for a in call.applications.all()]
    assert len(reviews) == APPLICATIONS * REVIEWS, len(reviews)

    def aggregate() -> None:
        scoring.ranking(candidates, reviews, threshold=call.disagreement_threshold)

    floor = _median_ms(aggregate)
    selector_ms = _median_ms(lambda: ranking_of_call(call=call))
    page_ms, api_ms = _median_ms(get_page), _median_ms(get_api)
    page_q, api_q = _queries(get_page), _queries(get_api)
    page_small_q, api_small_q = _queries(lambda: get_page(small)), _queries(lambda: get_api(small))
    print(
        f"bench_ranking: queries at {SMALL} / {APPLICATIONS} applications — page {page_small_q} / {page_q}, "
        f"endpoint {api_small_q} / {api_q}; median of {ROUNDS} warm requests"
    )
    constant = page_q == page_small_q <= MAX_QUERIES and api_q == api_small_q <= MAX_QUERIES
    size = f"{APPLICATIONS} × {REVIEWS}"
    return [
        Row(f"ranking: pure aggregation {size} (floor)", f"{floor:.0f} ms", "", None, True),
        Row(
            f"ranking: selector (5 reads + aggregation) {size}",
            f"{selector_ms:.0f} ms",
            "",
            selector_ms / floor,
            True,
        ),
        Row(
            f"ranking: page {size}",
            f"{page_ms:.0f} ms, {page_q} queries ({page_small_q} at {SMALL})",
            f"<= {TARGET_MS} ms, <= {MAX_QUERIES} queries",
            page_ms / floor,
            page_ms <= TARGET_MS and page_q == page_small_q <= MAX_QUERIES,
        ),
        Row(
            f"ranking: endpoint {size}",
            f"{api_ms:.0f} ms, {api_q} queries ({api_small_q} at {SMALL})",
            f"<= {TARGET_MS} ms, <= {MAX_QUERIES} queries",
            api_ms / floor,
            api_ms <= TARGET_MS and constant,
        ),
    ]


def run() -> list[Row]:
    from django.conf import settings
    from django.db import connection
    from django.test import override_settings

    # No setup_test_environment(): its instrumented template rendering (a signal and a copy of
    # the context per template, for assertions) would be measured as the page's time.
    old_name = connection.settings_dict["NAME"]
    old_test_name = connection.settings_dict["TEST"].get("NAME")
    if connection.vendor != "sqlite":
        # A name of its own, so that autoclobber never drops the database of a running pytest.
        connection.settings_dict["TEST"]["NAME"] = f"portal_bench_ranking_{os.getpid()}"
    try:
        connection.creation.create_test_db(verbosity=0, autoclobber=True)
        # Tokens and sessions only: the fast hasher for the seeded accounts; no second factor.
        with override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            PORTAL_REQUIRE_2FA=False,
            AXES_ENABLED=False,
            ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"],
        ):
            return _measure()
    except Exception as error:  # a broken bench is a row of the table, never a crash of `make bench`
        print(f"bench_ranking: failed — {type(error).__name__}: {error}")
        return [
            Row("ranking: page 250 × 5", f"failed: {type(error).__name__}", f"<= {TARGET_MS} ms", None, False)
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
