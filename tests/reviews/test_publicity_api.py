"""The announcement API: ``GET``/``POST /api/v1/calls/{id}/publicity/`` and
``POST /api/v1/objections/{id}/resolve/``."""

from datetime import timedelta

import pytest
from django.urls import reverse

from applications.models import ApplicationStatus
from portal.accounts.roles import Role
from reviews.models import AwardStatus, ObjectionStatus, Publicity
from reviews.services.publicity import beijing_today
from tests.factories import FundingCallFactory, UserFactory, make_applicant
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_expert, make_staff
from tests.reviews.publicity_factories import announced_call, file_objection

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def publicity_url(call) -> str:
    return reverse("api-publicity", args=[call.pk])


def resolve_url(objection) -> str:
    return reverse("api-objection-resolve", args=[objection.pk])


def status_of(obj):
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def errors_of(response) -> dict[str, str]:
    return {error["field"]: error["code"] for error in response.json()["errors"]}


def actor(name: str, award):
    return {
        "staff_cq": lambda: make_staff("CQ"),
        "staff_sc": lambda: make_staff("SC"),
        "admin": lambda: UserFactory(role=Role.ADMIN),
        "pi": lambda: award.application.pi,
        "other_applicant": lambda: make_applicant(),
        "unit_admin": lambda: UserFactory(role=Role.UNIT_ADMIN, organization=award.application.lead_unit),
        "expert": lambda: make_expert("CQ").user,
        "anonymous": lambda: None,
    }[name]()


READ = {
    "staff_cq": 200,
    "staff_sc": 200,
    "admin": 200,
    "pi": 403,
    "other_applicant": 403,
    "unit_admin": 403,
    "expert": 403,
    "anonymous": 401,
}
RESOLVE = {**READ, "pi": 404, "other_applicant": 404, "unit_admin": 404, "expert": 404}


@pytest.mark.parametrize("who", list(READ))
def test_actor_matrix(api_client, who):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    user = actor(who, award)
    if user is not None:
        api_client.force_authenticate(user)

    read = api_client.get(publicity_url(publicity.call))
    decided = api_client.post(
        resolve_url(objection), {"decision": "dismissed", "reason": "不成立"}, format="json"
    )

    assert read.status_code == READ[who]
    assert decided.status_code == RESOLVE[who]
    expected = ObjectionStatus.DISMISSED if RESOLVE[who] == 200 else ObjectionStatus.OPEN
    assert status_of(objection) == expected
    if READ[who] == 200:
        body = read.json()
        assert body["publicity"]["ends_on"] == publicity.ends_on.isoformat()
        assert body["objections"][0]["token"] == objection.token
        assert body["awards"][0]["total"] == "500000.00"


def test_staff_start_the_announcement(api_client):
    call = FundingCallFactory()
    awards = [make_award(call), make_award(call)]
    api_client.force_authenticate(make_staff("SC"))
    today = beijing_today()

    before = api_client.get(publicity_url(call))
    assert before.json()["publicity"] is None
    response = api_client.post(
        publicity_url(call), {"start_date": today.isoformat(), "contact": "科技厅 028-1234567"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert body["publicity"]["starts_on"] == today.isoformat()
    assert body["publicity"]["status"] == "open"
    assert body["publicity"]["contact"] == "科技厅 028-1234567"
    assert {a["status"] for a in body["awards"]} == {"announced"}
    assert [status_of(a) for a in awards] == [AwardStatus.ANNOUNCED] * 2


@pytest.mark.parametrize("value", ["", "2030-02-30", "soon", None, 12, "2030-01-01\x00"])
def test_a_start_date_that_is_not_a_date_is_400(api_client, value):
    call = FundingCallFactory()
    make_award(call)
    api_client.force_authenticate(make_staff())
    response = api_client.post(publicity_url(call), {"start_date": value}, format="json")
    assert response.status_code == 400
    assert "start_date" in errors_of(response)
    assert not Publicity.objects.filter(call=call).exists()


def test_a_start_in_the_past_is_400_on_the_field(api_client):
    call = FundingCallFactory()
    make_award(call)
    api_client.force_authenticate(make_staff())
    yesterday = beijing_today() - timedelta(days=1)
    response = api_client.post(
        publicity_url(call), {"start_date": yesterday.isoformat()}, format="json", **EN
    )
    assert response.status_code == 400
    assert errors_of(response) == {"start_date": "past"}


def test_unapproved_awards_are_409_and_named(api_client):
    call = FundingCallFactory()
    make_award(call)
    make_award(call, status=AwardStatus.APPROVED_CQ, title="只有重庆批准")
    api_client.force_authenticate(make_staff())
    response = api_client.post(
        publicity_url(call), {"start_date": beijing_today().isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "unapproved"
    assert "只有重庆批准" in response.json()["detail"]


def test_a_second_start_and_a_call_without_awards_are_409(api_client):
    publicity, _ = announced_call(1)
    empty = FundingCallFactory()
    api_client.force_authenticate(make_staff())
    today = beijing_today().isoformat()
    again = api_client.post(publicity_url(publicity.call), {"start_date": today}, format="json")
    nothing = api_client.post(publicity_url(empty), {"start_date": today}, format="json")
    assert (again.status_code, again.json()["errors"][0]["code"]) == (409, "already")
    assert (nothing.status_code, nothing.json()["errors"][0]["code"]) == (409, "no_awards")


def test_an_applicant_cannot_start_it(api_client):
    call = FundingCallFactory()
    make_award(call)
    api_client.force_authenticate(make_applicant())
    response = api_client.post(
        publicity_url(call), {"start_date": beijing_today().isoformat()}, format="json"
    )
    assert response.status_code == 403
    assert not Publicity.objects.filter(call=call).exists()


def test_an_unknown_call_is_404(api_client):
    api_client.force_authenticate(make_staff())
    assert api_client.get(reverse("api-publicity", args=[99999999])).status_code == 404
    assert api_client.get("/api/v1/calls/abc/publicity/").status_code == 404


# --- Resolving -------------------------------------------------------------------------------


def test_an_upheld_objection_withdraws_the_award(api_client):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    api_client.force_authenticate(make_staff("CQ"))

    response = api_client.post(
        resolve_url(objection), {"decision": "upheld", "reason": "材料不实"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "upheld"
    assert response.json()["resolution"] == "材料不实"
    assert status_of(award) == AwardStatus.WITHDRAWN
    assert status_of(award.application) == ApplicationStatus.NOT_FUNDED


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"decision": "dismissed"}, "reason"),
        ({"decision": "dismissed", "reason": ""}, "reason"),
        ({"decision": "dismissed", "reason": "   "}, "reason"),
        ({"decision": "dismissed", "reason": "理由\x00"}, "reason"),
        ({"decision": "dismissed", "reason": "长" * 2001}, "reason"),
        ({"decision": "maybe", "reason": "理由"}, "decision"),
        ({"decision": ["upheld"], "reason": "理由"}, "decision"),
        ({"reason": "理由"}, "decision"),
    ],
)
def test_bad_decisions_are_400_naming_the_field(api_client, data, field):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    api_client.force_authenticate(make_staff())
    response = api_client.post(resolve_url(objection), data, format="json")
    assert response.status_code == 400
    assert field in errors_of(response)
    assert status_of(objection) == ObjectionStatus.OPEN


def test_a_second_decision_is_409(api_client):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    api_client.force_authenticate(make_staff())
    api_client.post(resolve_url(objection), {"decision": "dismissed", "reason": "不成立"}, format="json")
    response = api_client.post(
        resolve_url(objection), {"decision": "upheld", "reason": "改判"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "decided"
    assert status_of(award) == AwardStatus.ANNOUNCED


def test_hostile_objection_ids_are_404(api_client):
    api_client.force_authenticate(make_staff())
    assert api_client.post("/api/v1/objections/99999999/resolve/", {}, format="json").status_code == 404
    assert api_client.post("/api/v1/objections/1e3/resolve/", {}, format="json").status_code == 404


def test_the_schema_documents_both_endpoints(api_client):
    api_client.force_authenticate(make_staff())
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert "post" in schema["paths"]["/api/v1/calls/{id}/publicity/"]
    assert "get" in schema["paths"]["/api/v1/calls/{id}/publicity/"]
    assert "post" in schema["paths"]["/api/v1/objections/{id}/resolve/"]


# --- Queries -----------------------------------------------------------------------------------

MAX_QUERIES = 6


@pytest.mark.parametrize("rows", [2, 50])
def test_the_document_reads_a_fixed_number_of_queries(api_client, django_assert_max_num_queries, rows):
    publicity, awards = announced_call(rows)
    for award in awards[: rows // 2]:
        file_objection(publicity, award)
    api_client.force_authenticate(make_staff())

    with django_assert_max_num_queries(MAX_QUERIES):
        response = api_client.get(publicity_url(publicity.call))

    assert len(response.json()["awards"]) == rows
    assert len(response.json()["objections"]) == rows // 2
