"""The home pages list calls with a fixed number of queries, whatever the number of calls."""

import pytest

from applications.models import FundingCall
from tests.factories import FundingCallFactory, UserFactory

pytestmark = pytest.mark.django_db


def grow_to(count: int) -> None:
    FundingCallFactory.create_batch(count - FundingCall.objects.count())


@pytest.mark.parametrize(
    "user_kwargs",
    [None, {"role": "applicant"}, {"role": "bureau_staff", "province": "SC"}, {"role": "reviewer"}],
    ids=["anonymous", "applicant", "staff", "reviewer"],
)
def test_the_home_page_costs_the_same_queries_for_2_and_50_calls(
    client, django_assert_max_num_queries, user_kwargs
):
    if user_kwargs:
        client.force_login(UserFactory(**user_kwargs))
    counts = []
    for calls in (2, 50):
        grow_to(calls)
        with django_assert_max_num_queries(12) as captured:
            assert client.get("/").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
