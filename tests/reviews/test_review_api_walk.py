"""A call goes from endorsed applications to a full ranking through the API alone: Chongqing
staff read the checklist and accept; staff run the assignment; each expert lists their own
assignments, declares and submits a review; staff read the ranking, whose order follows the
scores the experts gave."""

from decimal import Decimal

import pytest

from tests.reviews.factories import (
    make_accepted_application,
    make_call_with_rubric,
    make_endorsed_application,
    make_expert,
    make_staff,
)

FIELDS = ("ai", "health", "eco", "agri")
# Points per criterion that each application gets from every expert: three clear ranks.
LEVELS = (Decimal("0.9"), Decimal("0.7"), Decimal("0.5"))


@pytest.mark.django_db(transaction=True)
def test_from_the_formal_check_to_the_ranking_through_the_api(api_client):
    call = make_call_with_rubric(reviewers_per_application=3, min_reviewers_per_province=1)
    endorsed = make_endorsed_application(call, province="CQ")
    others = [make_accepted_application(call, field="ai", province=p) for p in ("SC", "CQ")]
    experts = [make_expert(p, FIELDS) for p in ("SC", "CQ") for _ in range(3)]
    staff = make_staff("CQ")
    api_client.force_authenticate(staff)

    eligibility = api_client.get(f"/api/v1/applications/{endorsed.pk}/eligibility/")
    assert eligibility.status_code == 200 and eligibility.json()["all_passed"]
    accepted = api_client.post(
        f"/api/v1/applications/{endorsed.pk}/formal-check/", {"decision": "accept"}, format="json"
    )
    assert accepted.status_code == 200, accepted.json()

    run = api_client.post(f"/api/v1/calls/{call.pk}/assignments/run/", {"seed": 7}, format="json")
    assert run.status_code == 202
    assert (run.json()["status"], run.json()["assigned"], run.json()["shortfalls"]) == ("done", 9, [])

    applications = [endorsed, *others]
    criteria = {
        c["code"]: Decimal(c["max_points"])
        for c in api_client.get(f"/api/v1/calls/{call.pk}/ranking/").json()["criteria"]
    }
    for expert in experts:
        api_client.force_authenticate(expert.user)
        own = api_client.get("/api/v1/assignments/").json()
        own = own["results"] if isinstance(own, dict) else own
        for assignment in own:
            level = LEVELS[[a.pk for a in applications].index(assignment["application"])]
            declared = api_client.post(
                f"/api/v1/assignments/{assignment['id']}/declare/", {"no_conflict": True}, format="json"
            )
            assert declared.status_code == 200, declared.json()
            review = api_client.put(
                f"/api/v1/assignments/{assignment['id']}/review/",
                {
                    "scores": {code: str(top * level) for code, top in criteria.items()},
                    "comments": {},
                    "comment": "意见",
                    "recommendation": "fund",
                    "submit": True,
                },
                format="json",
            )
            assert review.status_code == 200, review.json()
            assert review.json()["status"] == "submitted"

    api_client.force_authenticate(make_staff("SC"))
    ranking = api_client.get(f"/api/v1/calls/{call.pk}/ranking/").json()
    rows = ranking["results"]
    assert [row["application"]["id"] for row in rows] == [a.pk for a in applications]
    assert [row["rank"] for row in rows] == [1, 2, 3]
    assert [Decimal(str(row["trimmed_mean"])) for row in rows] == [
        Decimal("90.00"),
        Decimal("70.00"),
        Decimal("50.00"),
    ]
    assert all(row["submitted"] == row["assigned"] == 3 for row in rows)
    assert {row["application"]["status"] for row in rows} == {"reviewed"}
