"""The public announcement's services: start, objections, their resolution, closing, the sweep."""

from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from applications.models import ApplicationStatus, CallField, FundingCall
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from reviews.models import (
    AwardStatus,
    Holiday,
    Objection,
    ObjectionStatus,
    Publicity,
    PublicityStatus,
)
from reviews.objection_input import clean_phone, is_placeholder_name
from reviews.services.publicity import (
    ObjectionInvalid,
    PublicityError,
    beijing_today,
    objection_resolve,
    publicities_close_due,
    publicity_close,
    publicity_start,
)
from tests.factories import FundingCallFactory, UserFactory, make_applicant
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_accepted_application, make_expert, make_staff
from tests.reviews.publicity_factories import PDF, VALID, announced_call, file_objection, pdf_upload

pytestmark = pytest.mark.django_db


def status_of(obj):
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def national_day_2021() -> None:
    for day in range(1, 8):
        Holiday.objects.create(date=date(2021, 10, day), name="国庆节")
    Holiday.objects.create(date=date(2021, 9, 26), name="国庆节调休", workday=True)
    Holiday.objects.create(date=date(2021, 10, 9), name="国庆节调休", workday=True)


# --- Starting --------------------------------------------------------------------------------


def test_it_announces_the_approved_awards_for_five_working_days_of_the_holiday_calendar():
    national_day_2021()
    call = FundingCallFactory()
    awards = [make_award(call), make_award(call, field="health")]
    staff = make_staff("CQ")

    publicity = publicity_start(call=call, start_date=date(2021, 9, 28), by=staff, today=date(2021, 9, 28))

    assert (publicity.starts_on, publicity.ends_on, publicity.working_days) == (
        date(2021, 9, 28),
        date(2021, 10, 9),
        5,
    )
    assert publicity.status == PublicityStatus.OPEN
    assert [status_of(a) for a in awards] == [AwardStatus.ANNOUNCED, AwardStatus.ANNOUNCED]
    assert AuditEvent.objects.filter(action="publicity.start", object_id=str(publicity.pk)).count() == 1
    assert AuditEvent.objects.filter(action="award.announce").count() == 2


def test_the_call_sets_the_number_of_working_days():
    call = FundingCallFactory(publicity_working_days=1)
    make_award(call)
    monday = date(2030, 1, 7)
    publicity = publicity_start(call=call, start_date=monday, by=make_staff(), today=monday)
    assert publicity.ends_on == monday


def test_a_start_on_a_saturday_counts_from_the_monday():
    call = FundingCallFactory()
    make_award(call)
    saturday = date(2030, 1, 5)
    publicity = publicity_start(call=call, start_date=saturday, by=make_staff(), today=saturday)
    assert publicity.starts_on == saturday
    assert publicity.ends_on == date(2030, 1, 11)


def test_it_refuses_while_an_award_is_not_approved_by_both_and_names_it():
    call = FundingCallFactory()
    ready = make_award(call)
    make_award(call, status=AwardStatus.APPROVED_SC, title="只有四川批准的项目")
    today = beijing_today()

    with pytest.raises(PublicityError) as refused:
        publicity_start(call=call, start_date=today, by=make_staff())

    assert refused.value.code == "unapproved"
    assert "只有四川批准的项目" in refused.value.message
    assert status_of(ready) == AwardStatus.APPROVED
    assert not Publicity.objects.filter(call=call).exists()


def test_withdrawn_awards_do_not_block_but_a_call_without_approved_award_is_refused():
    call = FundingCallFactory()
    make_award(call, status=AwardStatus.WITHDRAWN)
    with pytest.raises(PublicityError) as refused:
        publicity_start(call=call, start_date=beijing_today(), by=make_staff())
    assert refused.value.code == "no_awards"


def test_it_refuses_to_announce_twice():
    publicity, _ = announced_call(1)
    with pytest.raises(PublicityError) as refused:
        publicity_start(call=publicity.call, start_date=beijing_today(), by=make_staff())
    assert refused.value.code == "already"
    assert Publicity.objects.filter(call=publicity.call).count() == 1


def test_it_refuses_a_start_in_the_past_unless_the_demo_sets_today():
    call = FundingCallFactory()
    make_award(call)
    yesterday = beijing_today() - timedelta(days=1)
    with pytest.raises(PublicityError) as refused:
        publicity_start(call=call, start_date=yesterday, by=make_staff())
    assert (refused.value.code, refused.value.field) == ("past", "start_date")

    publicity = publicity_start(call=call, start_date=yesterday, by=make_staff(), today=yesterday)
    assert publicity.starts_on == yesterday


@pytest.mark.parametrize("value", ["", "2021-13-01", "tomorrow", None, 20300101, "2030-01-01\x00"])
def test_it_refuses_a_start_date_that_is_not_a_date(value):
    call = FundingCallFactory()
    make_award(call)
    with pytest.raises(PublicityError) as refused:
        publicity_start(call=call, start_date=value, by=make_staff())
    assert refused.value.field == "start_date"


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.UNIT_ADMIN, Role.REVIEWER, None])
def test_only_review_staff_start_it(role):
    call = FundingCallFactory()
    make_award(call)
    user = UserFactory(role=role) if role else None
    with pytest.raises(PublicityError) as refused:
        publicity_start(call=call, start_date=beijing_today(), by=user)
    assert refused.value.code == "not_allowed"


def test_an_administrator_may_start_it():
    call = FundingCallFactory()
    make_award(call)
    publicity = publicity_start(call=call, start_date=beijing_today(), by=UserFactory(role=Role.ADMIN))
    assert publicity.pk


# --- Objections ---------------------------------------------------------------------------------


def test_a_real_name_objection_marks_the_award_objected_and_mails_a_receipt():
    publicity, (award, other) = announced_call(2)

    objection = file_objection(publicity, award, ip="203.0.113.9")

    assert objection.status == ObjectionStatus.OPEN
    assert len(objection.token) == 20
    assert objection.phone == "13812345678"
    assert str(objection.ip) == "203.0.113.9"
    assert status_of(award) == AwardStatus.OBJECTED
    assert status_of(other) == AwardStatus.ANNOUNCED
    receipt = OutgoingEmail.objects.get(kind="objection_received")
    assert receipt.to == VALID["email"]
    assert objection.token in receipt.subject and objection.token in receipt.body
    assert "公示项目1" in receipt.body
    event = AuditEvent.objects.get(action="objection.file")
    assert event.actor is None and event.object_id == str(objection.pk)


def test_a_second_objection_to_an_objected_award_is_taken():
    publicity, (award, _) = announced_call(2)
    first = file_objection(publicity, award)
    second = file_objection(publicity, award, name="王芳")
    assert first.token != second.token
    assert status_of(award) == AwardStatus.OBJECTED


def test_a_pdf_attachment_is_stored_under_the_random_reference():
    publicity, (award, _) = announced_call(2)
    objection = file_objection(publicity, award, attachment=pdf_upload("密函.pdf"))
    assert objection.attachment.name == f"objections/{publicity.pk}/{objection.token}.pdf"
    with objection.attachment.open("rb") as stored:
        assert stored.read() == PDF


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "匿名",
        "匿名群众",
        "Anonymous",
        "anonymous!",
        "ANON",
        "张某",
        "某某",
        "无名氏",
        "N/A",
        "123",
    ],
)
def test_it_refuses_an_objection_without_a_real_name(name):
    publicity, (award,) = announced_call(1)
    with pytest.raises(ObjectionInvalid) as refused:
        file_objection(publicity, award, name=name)
    assert "name" in refused.value.errors
    assert status_of(award) == AwardStatus.ANNOUNCED
    assert not Objection.objects.exists()
    assert not OutgoingEmail.objects.filter(kind="objection_received").exists()


@pytest.mark.parametrize("name", ["李明", "欧阳娜娜", "Anna Müller", "Li Ming"])
def test_real_names_pass(name):
    assert not is_placeholder_name(name)


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12345",
        "1381234567",
        "23812345678",
        "138123456789",
        "+1 555 123 4567",
        "１３８１２３４５６７８",
        "138-1234-567a",
        "2812345678",
        "028-0234567",
        "138+12345678",
        "13812345678\x00",
    ],
)
def test_it_refuses_a_bad_phone(phone):
    publicity, (award,) = announced_call(1)
    with pytest.raises(ObjectionInvalid) as refused:
        file_objection(publicity, award, phone=phone)
    assert set(refused.value.errors) == {"phone"}


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("028-12345678", "028-12345678"),
        ("(028) 8765 4321", "028-87654321"),
        ("0831 1234567", "0831-1234567"),
        ("+86 23 6123 4567", "023-61234567"),
        ("010-88888888", "010-88888888"),
    ],
)
def test_mobiles_and_fixed_lines_with_area_code_pass(typed, stored):
    assert clean_phone(typed) == stored


@pytest.mark.parametrize(
    "email", ["", "liming", "liming@", "@example.test", "li ming@example.test", "a@b@c.test"]
)
def test_it_refuses_a_bad_email(email):
    publicity, (award,) = announced_call(1)
    with pytest.raises(ObjectionInvalid) as refused:
        file_objection(publicity, award, email=email)
    assert set(refused.value.errors) == {"email"}


def test_every_bad_field_is_named_at_once():
    publicity, (award,) = announced_call(1)
    with pytest.raises(ObjectionInvalid) as refused:
        file_objection(publicity, award, name="匿名", unit="", phone="1", email="x", text="")
    assert set(refused.value.errors) == {"name", "unit", "phone", "email", "text"}


@pytest.mark.parametrize("field", ["name", "unit", "text"])
def test_nul_characters_are_refused_not_stored(field):
    publicity, (award,) = announced_call(1)
    with pytest.raises(ObjectionInvalid) as refused:
        file_objection(publicity, award, **{field: VALID[field] + "\x00"})
    assert field in refused.value.errors
    assert not Objection.objects.exists()


def test_it_refuses_an_attachment_that_is_not_a_pdf_whatever_its_name():
    publicity, (award,) = announced_call(1)
    fake = SimpleUploadedFile("evidence.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ObjectionInvalid) as refused:
        file_objection(publicity, award, attachment=fake)
    assert set(refused.value.errors) == {"attachment"}
    assert not Objection.objects.exists()


def test_it_refuses_an_attachment_over_10_mb():
    publicity, (award,) = announced_call(1)
    big = pdf_upload(content=PDF[:-6] + b" " * (10 * 1024 * 1024) + b"%%EOF\n")
    with pytest.raises(ObjectionInvalid) as refused:
        file_objection(publicity, award, attachment=big)
    assert "10 MB" in refused.value.errors["attachment"]


def test_it_refuses_an_objection_after_the_window():
    publicity, (award,) = announced_call(1)
    with pytest.raises(PublicityError) as refused:
        file_objection(publicity, award, today=publicity.ends_on + timedelta(days=1))
    assert refused.value.code == "not_open"
    assert status_of(award) == AwardStatus.ANNOUNCED


def test_it_takes_an_objection_on_the_last_day():
    publicity, (award,) = announced_call(1)
    assert file_objection(publicity, award, today=publicity.ends_on).pk


def test_it_refuses_an_objection_before_the_window():
    call = FundingCallFactory()
    award = make_award(call)
    later = beijing_today() + timedelta(days=7)
    publicity = publicity_start(call=call, start_date=later, by=make_staff())
    with pytest.raises(PublicityError) as refused:
        file_objection(publicity, award)
    assert refused.value.code == "not_open"


def test_it_refuses_an_objection_to_an_award_not_announced_or_of_another_call():
    publicity, (award,) = announced_call(1)
    later = make_award(publicity.call, status=AwardStatus.PROPOSED)
    elsewhere = make_award()
    for target in (later, elsewhere):
        with pytest.raises(PublicityError) as refused:
            file_objection(publicity, target)
        assert refused.value.code == "not_announced"
    assert not Objection.objects.exists()


# --- Resolving --------------------------------------------------------------------------------


def test_a_dismissed_objection_announces_the_award_again_and_mails_the_reason():
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    staff = make_staff("SC")

    objection = objection_resolve(
        objection=objection, decision="dismissed", reason="经核实，合作关系属实。", by=staff
    )

    assert (objection.status, objection.resolved_by, objection.resolution) == (
        ObjectionStatus.DISMISSED,
        staff,
        "经核实，合作关系属实。",
    )
    assert status_of(award) == AwardStatus.ANNOUNCED
    decision = OutgoingEmail.objects.get(kind="objection_decided")
    assert decision.to == VALID["email"] and "经核实，合作关系属实。" in decision.body
    assert AuditEvent.objects.filter(action="objection.resolve", reason="经核实，合作关系属实。").exists()


def test_the_award_stays_objected_while_another_objection_is_open():
    publicity, (award,) = announced_call(1)
    first = file_objection(publicity, award)
    second = file_objection(publicity, award, name="王芳")
    objection_resolve(objection=first, decision="dismissed", reason="不成立", by=make_staff())
    assert status_of(award) == AwardStatus.OBJECTED
    objection_resolve(objection=second, decision="dismissed", reason="不成立", by=make_staff())
    assert status_of(award) == AwardStatus.ANNOUNCED


def test_an_upheld_objection_withdraws_the_award_releases_its_funding_and_does_not_fund_the_project():
    publicity, (award, other) = announced_call(2)
    call = publicity.call
    before = FundingCall.objects.get(pk=call.pk)
    field_before = CallField.objects.get(call=call, field=award.field).awarded
    objection = file_objection(publicity, award)

    objection_resolve(
        objection=objection, decision="upheld", reason="合作单位材料造假。", by=make_staff("CQ")
    )

    award.refresh_from_db()
    assert award.status == AwardStatus.WITHDRAWN
    assert status_of(award.application) == ApplicationStatus.NOT_FUNDED
    assert status_of(other) == AwardStatus.ANNOUNCED
    after = FundingCall.objects.get(pk=call.pk)
    assert after.awarded_sc == before.awarded_sc - award.amount_sc
    assert after.awarded_cq == before.awarded_cq - award.amount_cq
    assert CallField.objects.get(call=call, field=award.field).awarded == field_before - 1
    assert status_of(objection) == ObjectionStatus.UPHELD


def test_a_second_objection_to_an_award_is_decided_with_the_first_one_upheld():
    publicity, (award,) = announced_call(1)
    first = file_objection(publicity, award)
    second = file_objection(publicity, award, name="王芳")
    objection_resolve(objection=first, decision="upheld", reason="属实", by=make_staff())
    assert status_of(award) == AwardStatus.WITHDRAWN
    assert status_of(second) == ObjectionStatus.UPHELD
    with pytest.raises(PublicityError):
        objection_resolve(objection=second, decision="dismissed", reason="同上", by=make_staff())


@pytest.mark.parametrize("reason", ["", "   ", None, "理由\x00"])
def test_it_refuses_a_decision_without_a_reason(reason):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    with pytest.raises(PublicityError) as refused:
        objection_resolve(objection=objection, decision="dismissed", reason=reason, by=make_staff())
    assert refused.value.field == "reason"
    assert status_of(objection) == ObjectionStatus.OPEN
    assert status_of(award) == AwardStatus.OBJECTED


@pytest.mark.parametrize("decision", ["", "open", "UPHELD", None, "withdrawn"])
def test_it_refuses_an_unknown_decision(decision):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    with pytest.raises(PublicityError) as refused:
        objection_resolve(objection=objection, decision=decision, reason="理由", by=make_staff())
    assert refused.value.field == "decision"


def test_it_refuses_to_decide_twice():
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    objection_resolve(objection=objection, decision="dismissed", reason="不成立", by=make_staff())
    with pytest.raises(PublicityError) as refused:
        objection_resolve(objection=objection, decision="upheld", reason="改判", by=make_staff())
    assert refused.value.code == "decided"
    assert status_of(award) == AwardStatus.ANNOUNCED


@pytest.mark.parametrize("who", ["applicant", "expert", "anonymous"])
def test_only_review_staff_decide(who):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    user = {"applicant": make_applicant, "expert": lambda: make_expert().user, "anonymous": lambda: None}[
        who
    ]()
    with pytest.raises(PublicityError) as refused:
        objection_resolve(objection=objection, decision="upheld", reason="理由", by=user)
    assert refused.value.code == "not_allowed"
    assert status_of(award) == AwardStatus.OBJECTED


# --- Closing ---------------------------------------------------------------------------------


def test_closing_makes_announced_awards_final_funds_them_and_does_not_fund_the_rest():
    publicity, awards = announced_call(2)
    call = publicity.call
    shortlisted = make_accepted_application(call, status=ApplicationStatus.SHORTLISTED)
    reviewed = make_accepted_application(call, status=ApplicationStatus.REVIEWED)
    under_review = make_accepted_application(call, status=ApplicationStatus.UNDER_REVIEW)
    staff = make_staff("SC")

    closed = publicity_close(publicity=publicity, by=staff, today=publicity.ends_on + timedelta(days=1))

    assert closed.status == PublicityStatus.CLOSED and closed.closed_at
    for award in awards:
        award.refresh_from_db()
        assert award.status == AwardStatus.FINAL and award.final_at
        assert status_of(award.application) == ApplicationStatus.AWARDED
    assert status_of(shortlisted) == ApplicationStatus.NOT_FUNDED
    assert status_of(reviewed) == ApplicationStatus.NOT_FUNDED
    assert status_of(under_review) == ApplicationStatus.UNDER_REVIEW
    event = AuditEvent.objects.get(action="publicity.close")
    assert event.data["final"] == 2 and event.data["not_funded"] == 2
    assert FundingCall.objects.get(pk=call.pk).status == call.status


def test_an_application_whose_objection_was_upheld_stays_not_funded_after_closing():
    publicity, (award, other) = announced_call(2)
    objection = file_objection(publicity, award)
    objection_resolve(objection=objection, decision="upheld", reason="属实", by=make_staff())
    publicity_close(publicity=publicity, by=None, today=publicity.ends_on + timedelta(days=1))
    assert status_of(award.application) == ApplicationStatus.NOT_FUNDED
    assert status_of(other) == AwardStatus.FINAL


def test_it_refuses_to_close_on_or_before_the_last_day():
    publicity, (award,) = announced_call(1)
    with pytest.raises(PublicityError) as refused:
        publicity_close(publicity=publicity, by=make_staff(), today=publicity.ends_on)
    assert refused.value.code == "before_end"
    assert status_of(award) == AwardStatus.ANNOUNCED


def test_it_refuses_to_close_with_an_open_objection_and_names_it():
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award)
    with pytest.raises(PublicityError) as refused:
        publicity_close(publicity=publicity, by=make_staff(), today=publicity.ends_on + timedelta(days=1))
    assert refused.value.code == "open_objections"
    assert objection.token in refused.value.message
    assert status_of(publicity) == PublicityStatus.OPEN


def test_it_refuses_to_close_twice_and_a_non_staff_closing():
    publicity, _ = announced_call(1)
    after = publicity.ends_on + timedelta(days=1)
    with pytest.raises(PublicityError) as refused:
        publicity_close(publicity=publicity, by=make_applicant(), today=after)
    assert refused.value.code == "not_allowed"
    publicity_close(publicity=publicity, by=None, today=after)
    with pytest.raises(PublicityError) as refused:
        publicity_close(publicity=publicity, by=None, today=after)
    assert refused.value.code == "decided"


def test_objections_are_refused_once_closed():
    publicity, (award,) = announced_call(1)
    publicity_close(publicity=publicity, by=None, today=publicity.ends_on + timedelta(days=1))
    with pytest.raises(PublicityError) as refused:
        file_objection(publicity, award, today=publicity.ends_on)
    assert refused.value.code == "not_open"


def test_the_sweep_closes_what_is_due_and_leaves_the_rest():
    due, (due_award,) = announced_call(1)
    blocked, (blocked_award,) = announced_call(1)
    file_objection(blocked, blocked_award)
    running, (running_award,) = announced_call(1)
    Publicity.objects.filter(pk=running.pk).update(ends_on=beijing_today() + timedelta(days=30))
    day_after = max(due.ends_on, blocked.ends_on) + timedelta(days=1)

    assert publicities_close_due(today=day_after) == 2 - 1  # the blocked one stays open
    assert status_of(due) == PublicityStatus.CLOSED
    assert status_of(due_award) == AwardStatus.FINAL
    assert status_of(blocked) == PublicityStatus.OPEN
    assert status_of(running) == PublicityStatus.OPEN
    assert status_of(running_award) == AwardStatus.ANNOUNCED
    # Run again: nothing more to do.
    assert publicities_close_due(today=day_after) == 0


def test_the_closing_sweep_task_runs_the_service():
    from reviews.tasks import publicity_close_due_task

    publicity, _ = announced_call(1)
    Publicity.objects.filter(pk=publicity.pk).update(
        starts_on=beijing_today() - timedelta(days=20), ends_on=beijing_today() - timedelta(days=10)
    )
    assert publicity_close_due_task() == 1
    assert status_of(publicity) == PublicityStatus.CLOSED


def test_the_receipt_has_both_languages_whatever_the_page_language():
    publicity, (award,) = announced_call(1)
    with translation.override("en"):
        objection = file_objection(publicity, award)
    email = OutgoingEmail.objects.get(kind="objection_received")
    # Chinese first, then English below a rule (an address has no language).
    first, second = email.body.split("----------")
    assert objection.token in first and objection.token in second
    assert " / " in email.subject


def test_it_refuses_a_start_more_than_a_year_ahead():
    call = FundingCallFactory()
    make_award(call)
    with pytest.raises(PublicityError) as refused:
        publicity_start(call=call, start_date="9999-12-31", by=make_staff())
    assert (refused.value.code, refused.value.field) == ("too_far", "start_date")


def test_a_start_given_as_a_moment_is_taken_as_its_beijing_date():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    call = FundingCallFactory()
    make_award(call)
    # 20:00 UTC on 6 January is already 7 January in Beijing.
    moment = datetime(2030, 1, 6, 20, 0, tzinfo=ZoneInfo("UTC"))
    publicity = publicity_start(call=call, start_date=moment, by=make_staff(), today=date(2030, 1, 1))
    assert publicity.starts_on == date(2030, 1, 7)


@pytest.mark.parametrize(
    ("ip", "stored"), [("2001:db8::1", "2001:db8::1"), ("not an address", None), ("", None)]
)
def test_only_real_addresses_are_stored(ip, stored):
    publicity, (award,) = announced_call(1)
    objection = file_objection(publicity, award, ip=ip)
    objection.refresh_from_db()
    assert objection.ip == stored
