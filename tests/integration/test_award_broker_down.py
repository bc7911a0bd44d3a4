"""With the broker down, the decision still goes through: staff shortlist and approve an
award through the pages; each answer is a redirect (no error page), the database holds
the decision, and the events its emails are written from wait for the notification sweep."""

import pytest
from django.urls import reverse

from applications.models import Application, ApplicationStatus
from bench.load.services import Redis
from portal.audit.models import AuditEvent
from reviews.models import AwardStatus
from reviews.services.awards import award_create
from tests.integration.test_notice_worker import publishing_to
from tests.reviews.award_helpers import make_candidate, make_decision_call
from tests.reviews.factories import make_staff

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_with_redis_down_staff_shortlist_and_approve_an_award(throwaway_redis: Redis, client) -> None:
    call = make_decision_call(quotas={"ai": 2})
    application = make_candidate(call, status=ApplicationStatus.REVIEWED)
    with publishing_to(throwaway_redis.url):
        throwaway_redis.stop()
        client.force_login(make_staff("CQ"))
        shortlisted = client.post(
            reverse("reviews:shortlist", args=[call.pk]),
            {"applications": [application.pk], "shortlisted": "1"},
        )
        assert shortlisted.status_code == 302
        assert Application.objects.get(pk=application.pk).status == ApplicationStatus.SHORTLISTED
        award = award_create(application=Application.objects.get(pk=application.pk), by=make_staff("SC"))
        approved = client.post(reverse("reviews:award_approve", args=[award.pk]), {"version": award.version})
        assert approved.status_code == 302
        award.refresh_from_db()
        assert award.status == AwardStatus.APPROVED_CQ and award.approved_cq_by is not None
    # The project leader's "shortlisted" email is written from this event by the notification
    # sweep once the broker is back (applications.notifications): not lost.
    assert AuditEvent.objects.filter(action="application.shortlist", object_id=str(application.pk)).exists()
