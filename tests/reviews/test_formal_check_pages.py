"""The formal check pages: the bureau's queue, the checklist with the decision form, and what the
team reads on its application page afterwards."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from applications.models import Application, ApplicationStatus, FundingCall
from applications.services import application_move
from portal.accounts.roles import Role
from reviews.models import FormalCheck
from tests.factories import FundingCallFactory, OrganizationFactory, UserFactory, make_applicant
from tests.reviews.factories import (
    make_accepted_application,
    make_endorsed_application,
    make_expert,
    make_staff,
)

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def list_url() -> str:
    return reverse("reviews:formal_check_list")


def detail_url(application: Application) -> str:
    return reverse("reviews:formal_check_detail", args=[application.pk])


def status_of(application: Application) -> str:
    return Application.objects.get(pk=application.pk).status


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


ACTORS = (
    "staff_cq",
    "staff_sc",
    "admin",
    "owner",
    "other_applicant",
    "unit_admin",
    "expert",
    "anonymous",
)


def actor(name: str, application: Application):
    return {
        "staff_cq": lambda: make_staff("CQ"),
        "staff_sc": lambda: make_staff("SC"),
        "admin": lambda: UserFactory(role=Role.ADMIN),
        "owner": lambda: application.pi,
        "other_applicant": lambda: make_applicant(),
        "unit_admin": lambda: UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit),
        "expert": lambda: make_expert("CQ").user,
        "anonymous": lambda: None,
    }[name]()


# --- The actor matrix (a Chongqing-led application) -----------------------------------------

# endpoint → {actor: (HTTP status, status of the application afterwards)}
MATRIX = {
    "list": {
        "staff_cq": 200,
        "staff_sc": 200,
        "admin": 200,
        "owner": 403,
        "other_applicant": 403,
        "unit_admin": 403,
        "expert": 403,
    },
    "detail": {
        "staff_cq": 200,
        "staff_sc": 200,
        "admin": 200,
        "owner": 404,
        "other_applicant": 404,
        "unit_admin": 404,
        "expert": 404,
    },
    "decide": {
        "staff_cq": 302,
        "staff_sc": 403,
        "admin": 403,
        "owner": 404,
        "other_applicant": 404,
        "unit_admin": 404,
        "expert": 404,
    },
}


@pytest.mark.parametrize("who", ACTORS)
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_the_actor_matrix(client, endpoint, who):
    application = make_endorsed_application(province="CQ")
    user = actor(who, application)
    if user is not None:
        client.force_login(user)

    if endpoint == "list":
        response = client.get(list_url())
    elif endpoint == "detail":
        response = client.get(detail_url(application))
    else:
        response = client.post(detail_url(application), {"decision": "accept", "reason": ""})

    if user is None:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))
    else:
        assert response.status_code == MATRIX[endpoint][who]
    accepted = endpoint == "decide" and who == "staff_cq"
    assert status_of(application) == ("accepted" if accepted else "endorsed")
    assert FormalCheck.objects.count() == (1 if accepted else 0)


def test_the_queue_lists_the_endorsed_applications_of_the_staffs_province_only(client):
    cq = make_endorsed_application(province="CQ")
    sc = make_endorsed_application(call=cq.call, province="SC")
    client.force_login(make_staff("CQ"))

    response = client.get(list_url(), **EN)

    assert [a.pk for a in response.context["waiting"]] == [cq.pk]
    page = response.text
    assert detail_url(cq) in page
    assert detail_url(sc) not in page
    assert "1 application waiting for the formal check" in page


def test_an_administrator_sees_both_provinces_read_only(client):
    cq = make_endorsed_application(province="CQ")
    sc = make_endorsed_application(call=cq.call, province="SC")
    client.force_login(UserFactory(role=Role.ADMIN))

    listing = client.get(list_url(), **EN)
    detail = client.get(detail_url(sc), **EN)

    assert {a.pk for a in listing.context["waiting"]} == {cq.pk, sc.pk}
    assert "read-only" in listing.text
    assert detail.context["form"] is None
    assert "Only bureau staff make the formal check." in detail.text


def test_the_queue_filters_by_call_and_shows_recent_decisions(client):
    first = make_endorsed_application(province="CQ")
    second_call = FundingCallFactory(year=2022)
    second = make_endorsed_application(call=second_call, province="CQ")
    decided = make_accepted_application(first.call, province="CQ")
    staff = make_staff("CQ")
    FormalCheck.objects.create(application=decided, decision="accept", decided_by=staff)
    client.force_login(staff)

    everything = client.get(list_url())
    filtered = client.get(list_url(), {"call": second_call.pk})
    unknown = client.get(list_url(), {"call": "９"})

    assert {a.pk for a in everything.context["waiting"]} == {first.pk, second.pk}
    assert [c.pk for c in everything.context["calls"]] == [second_call.pk, first.call.pk]
    assert [c.application_id for c in everything.context["recent"]] == [decided.pk]
    assert [a.pk for a in filtered.context["waiting"]] == [second.pk]
    assert filtered.context["recent"] == []
    assert unknown.status_code == 200
    assert unknown.context["selected_call"] is None


@pytest.mark.parametrize("rows", [2, 50])
def test_the_queue_costs_the_same_for_few_and_many(client, django_assert_max_num_queries, rows):
    call = FundingCallFactory()
    staff = make_staff("CQ")
    lead = OrganizationFactory()
    for index in range(rows):
        application = make_accepted_application(call, lead=lead, status=ApplicationStatus.ENDORSED)
        if index % 2:
            FormalCheck.objects.create(
                application=application, decision="return", reason="补充", decided_by=staff
            )
    client.force_login(staff)

    # Session, user, the calls of the filter, the count, the page, the recent decisions.
    with django_assert_max_num_queries(6):
        response = client.get(list_url())

    assert len(response.context["waiting"]) == rows
    assert len(response.context["recent"]) == min(rows // 2, 20)


# --- The checklist page -------------------------------------------------------------------


def test_the_checklist_shows_each_rule_passed_or_failed_in_words_and_links_the_application(client):
    application = make_endorsed_application(province="CQ")
    FundingCall.objects.filter(pk=application.call_id).update(per_project_cap=1_000_000)
    client.force_login(make_staff("CQ"))

    response = client.get(detail_url(application), **EN)

    page = response.text
    assert response.status_code == 200
    assert '<tr data-rule="cap" class="checklist__item checklist__item--failed">' in page
    assert '<tr data-rule="partner" class="checklist__item checklist__item--passed">' in page
    cap_row = page.split('data-rule="cap"', 1)[1].split("</tr>", 1)[0]
    assert "Failed" in cap_row
    assert "✗" in cap_row
    assert "is over the cap of 1000000.00 yuan" in cap_row
    assert page.count(">Passed</span>") == 9
    assert "1 rule fails." in page
    assert "staff override" in page
    assert reverse("applications:detail", args=[application.pk]) in page
    assert reverse("applications:print", args=[application.pk]) in page
    assert 'name="decision"' in page
    assert 'name="reason"' in page


def test_staff_of_the_other_province_read_the_checklist_and_why_they_cannot_decide(client):
    application = make_endorsed_application(province="CQ")
    client.force_login(make_staff("SC"))

    response = client.get(detail_url(application), **EN)

    assert response.context["form"] is None
    assert 'data-rule="deadline"' in response.text
    assert "belongs to the bureau of Chongqing" in response.text
    assert 'name="decision"' not in response.text


def test_staff_accept_through_the_page_and_read_the_result_after_the_redirect(client):
    application = make_endorsed_application(province="CQ")
    staff = make_staff("CQ")
    client.force_login(staff)

    response = client.post(detail_url(application), {"decision": "accept", "reason": ""}, follow=True, **EN)

    assert response.redirect_chain == [(detail_url(application), 302)]
    assert status_of(application) == "accepted"
    assert messages_of(response) == [f"{application.reference} has been accepted for expert review."]
    assert [c.decided_by for c in response.context["history"]] == [staff]
    assert response.context["form"] is None
    assert "there is no formal check to decide now" in response.text


def test_returning_without_a_reason_shows_the_field_error_and_writes_nothing(client):
    application = make_endorsed_application(province="CQ")
    client.force_login(make_staff("CQ"))

    response = client.post(detail_url(application), {"decision": "return", "reason": ""}, **EN)

    assert response.status_code == 400
    assert "Say what the team must change" in str(response.context["form"].errors["reason"])
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()


def test_a_post_without_a_decision_names_the_field(client):
    application = make_endorsed_application(province="CQ")
    client.force_login(make_staff("CQ"))

    response = client.post(detail_url(application), {"decision": "approve"}, **EN)

    assert response.status_code == 400
    assert "decision" in response.context["form"].errors
    assert status_of(application) == "endorsed"


def test_a_return_after_the_units_deadline_is_refused_with_the_deadline(client):
    application = make_endorsed_application(province="CQ")
    FundingCall.objects.filter(pk=application.call_id).update(
        opens_at=timezone.now() - timedelta(days=40),
        submit_deadline=timezone.now() - timedelta(days=2),
        endorse_deadline=timezone.now() - timedelta(minutes=1),
    )
    client.force_login(make_staff("CQ"))

    page = client.get(detail_url(application), **EN)
    response = client.post(detail_url(application), {"decision": "return", "reason": "补充材料"}, **EN)

    assert "can no longer be returned" in page.text
    assert response.status_code == 400
    assert "The deadline for this step was" in str(response.context["form"].errors["decision"])
    assert "补充材料" in response.text  # the reason typed stays
    assert status_of(application) == "endorsed"
    assert not FormalCheck.objects.exists()


def test_a_second_decision_from_a_stale_page_gets_a_message_and_no_second_row(client):
    application = make_endorsed_application(province="CQ")
    first, second = make_staff("CQ"), make_staff("CQ")
    client.force_login(first)
    client.post(detail_url(application), {"decision": "accept", "reason": ""})

    client.force_login(second)
    response = client.post(
        detail_url(application), {"decision": "reject", "reason": "不符合"}, follow=True, **EN
    )

    assert response.redirect_chain == [(detail_url(application), 302)]
    assert (
        messages_of(response)[-1] == "This is not possible while the application is “Accepted by the bureau”."
    )
    assert status_of(application) == "accepted"
    assert FormalCheck.objects.count() == 1


# --- What the team reads --------------------------------------------------------------------


def decide(client, application: Application, decision: str, reason: str) -> None:
    staff = make_staff(application.province)
    client.force_login(staff)
    response = client.post(detail_url(application), {"decision": decision, "reason": reason})
    assert response.status_code == 302


def test_after_a_bureau_return_the_team_sees_who_returned_it_and_why(client):
    application = make_endorsed_application(province="CQ")
    decide(client, application, "return", "请补充<b>合作协议</b>盖章页")

    client.force_login(application.pi)
    page = client.get(reverse("applications:detail", args=[application.pk]), **EN).text

    panel = page.split('id="next-title"', 1)[1].split("</section>", 1)[0]
    assert "Returned for revision by the bureau (formal check)" in panel
    assert "The bureau returned the application for revision after its formal check" in panel
    assert "The bureau's reason (formal check by" in panel
    assert "请补充&lt;b&gt;合作协议&lt;/b&gt;盖章页" in panel
    assert "Submit again by" in panel
    assert "Returned by your unit" not in panel
    assert "Your unit returned" not in panel


def test_after_a_unit_return_the_team_sees_that_its_unit_returned_it(client):
    application = make_endorsed_application(province="CQ")
    decide(client, application, "return", "请补充预算")
    client.force_login(application.pi)
    from applications.services import application_submit

    application_submit(application=Application.objects.get(pk=application.pk), by=application.pi)
    unit_admin = UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit)
    application_move(
        application=Application.objects.get(pk=application.pk),
        action="return",
        by=unit_admin,
        reason="单位意见",
    )

    page = client.get(reverse("applications:detail", args=[application.pk]), **EN).text

    panel = page.split('id="next-title"', 1)[1].split("</section>", 1)[0]
    assert "Returned for revision by your unit" in panel
    assert "Your unit returned the application for revision" in panel
    assert "单位意见" in panel
    assert "by the bureau" not in panel


def test_after_a_rejection_the_team_sees_the_outcome_and_the_bureaus_reason(client):
    application = make_endorsed_application(province="SC")
    decide(client, application, "reject", "合作单位不符合要求")

    client.force_login(application.pi)
    page = client.get(reverse("applications:detail", args=[application.pk]), **EN).text

    panel = page.split('id="next-title"', 1)[1].split("</section>", 1)[0]
    assert "Not accepted: ineligible (formal check by the bureau)" in panel
    assert "合作单位不符合要求" in panel
    assert "Not accepted (formal check)" in page  # the status badge


def test_after_an_accept_with_a_note_the_team_sees_it(client):
    application = make_endorsed_application(province="CQ")
    decide(client, application, "accept", "材料齐全")

    client.force_login(application.pi)
    page = client.get(reverse("applications:detail", args=[application.pk]), **EN).text

    panel = page.split('id="next-title"', 1)[1].split("</section>", 1)[0]
    assert "Accepted by the bureau (formal check)" in panel
    assert "材料齐全" in panel
