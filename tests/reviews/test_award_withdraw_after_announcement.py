"""Once announced, an award leaves the list only through an upheld objection: not from the
award page, the API or the service; and upholding one objection decides the others on the
same award, so that they do not hold up the closing of the announcement."""

import pytest
from django.urls import reverse

from reviews.models import AwardStatus, Objection, ObjectionStatus
from reviews.services.award_errors import AwardError
from reviews.services.awards import award_withdraw
from reviews.services.publicity import objection_resolve
from tests.reviews.factories import make_staff
from tests.reviews.publicity_factories import announced_call, file_objection

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("objected", [False, True])
def test_the_award_page_does_not_withdraw_an_announced_award(client, objected):
    publicity, (award, _other) = announced_call(2)
    if objected:
        file_objection(publicity, award)
    before = AwardStatus.OBJECTED if objected else AwardStatus.ANNOUNCED
    client.force_login(make_staff("SC"))
    response = client.post(
        reverse("reviews:award_edit", args=[award.application_id]), {"action": "withdraw", "reason": "重复"}
    )
    assert response.status_code == 302
    award.refresh_from_db()
    assert award.status == before
    publicity.call.refresh_from_db()
    assert publicity.call.awarded_sc > 0


def test_the_service_withdraws_an_announced_award_only_for_an_upheld_objection():
    publicity, (award, _other) = announced_call(2)
    with pytest.raises(AwardError) as refused:
        award_withdraw(award=award, by=make_staff("CQ"), reason="重复")
    assert refused.value.code == "state"
    withdrawn = award_withdraw(award=award, by=make_staff("CQ"), reason="异议成立", objection_upheld=True)
    assert withdrawn.status == AwardStatus.WITHDRAWN


def test_upholding_one_objection_decides_the_others_on_the_same_award():
    publicity, (award, other_award) = announced_call(2)
    first = file_objection(publicity, award)
    second = file_objection(publicity, award, name="张伟", email="zhangwei@example.test")
    elsewhere = file_objection(publicity, other_award, name="赵磊", email="zhaolei@example.test")
    objection_resolve(objection=first, decision="upheld", reason="经核查异议成立。", by=make_staff("CQ"))
    assert Objection.objects.get(pk=second.pk).status == ObjectionStatus.UPHELD
    assert Objection.objects.get(pk=elsewhere.pk).status == ObjectionStatus.OPEN
    award.refresh_from_db()
    assert award.status == AwardStatus.WITHDRAWN
