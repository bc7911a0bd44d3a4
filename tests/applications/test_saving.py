"""Saving a draft (``application_save``), its attachments (``attachment_upload``) and the integrity
commitment (``application_commit``): what is valid is kept, what is not is named by its field path,
and nothing is written over a newer version or after submission."""

import re
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.utils import translation

from applications.models import Application, Attachment, BudgetLine, TeamMember
from applications.services import (
    ApplicationError,
    NotEditable,
    StaleDraft,
    application_commit,
    application_create,
    application_move,
    application_save,
    application_submit,
    attachment_upload,
)
from applications.services import applications as services
from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from tests.factories import (
    PDF_BYTES,
    FundingCallFactory,
    GuideTaskFactory,
    OrganizationFactory,
    UserFactory,
    make_applicant,
    make_id_number,
    make_ready_application,
    pdf_upload,
)

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


@pytest.fixture
def draft():
    call = FundingCallFactory()
    return application_create(call=call, by=make_applicant(), guide_task=GuideTaskFactory(call=call))


@pytest.fixture
def ready():
    return make_ready_application()


def stored(application: Application) -> Application:
    return Application.objects.get(pk=application.pk)


def save(application: Application, data: dict, by=None):
    current = stored(application)
    return application_save(application=current, data=data, version=current.version, by=by or current.pi)


def fields_of(result) -> list[str]:
    return [problem.field for problem in result.errors]


def budget_of(application: Application) -> list[tuple]:
    return list(
        BudgetLine.objects.filter(application=application)
        .order_by("unit_uscc", "category", "source")
        .values_list("unit_uscc", "category", "source", "amount")
    )


def budget_data(application: Application) -> list[dict]:
    return [
        {"unit_uscc": uscc, "category": category, "source": source, "amount": str(amount)}
        for uscc, category, source, amount in budget_of(application)
    ]


def team_data(application: Application) -> list[dict]:
    return [
        {
            "name": m.name,
            "email": m.user.email if m.user_id else "",
            "id_type": m.id_type,
            "id_number": m.id_number,
            "unit": m.unit_name,
            "title": m.title,
            "role": m.role,
            "time_percent": m.time_percent,
        }
        for m in application.team.select_related("user")
    ]


# --- Scalars ------------------------------------------------------------------------------


def test_it_saves_the_valid_parts_of_a_draft_with_invalid_ones(draft):
    version = stored(draft).version
    result = save(draft, {"title": "川渝智能诊断", "abstract": "摘要\x07有控制字符"})
    assert fields_of(result) == ["abstract"]
    assert [problem.section for problem in result.errors] == ["content"]
    assert result.saved == ["title"]
    application = stored(draft)
    assert application.title == "川渝智能诊断"
    assert application.abstract == ""
    assert application.version == version + 1


def test_it_refuses_a_10000_character_title_naming_the_field_and_the_max_length(draft):
    version = stored(draft).version
    with translation.override("en"):
        result = save(draft, {"title": "题" * 10000})
    assert fields_of(result) == ["title"]
    assert "at most 200 characters" in result.errors[0].message
    assert result.saved == []
    assert stored(draft).title == ""
    assert stored(draft).version == version


def test_a_refusal_names_the_max_length_in_chinese_too(draft):
    result = save(draft, {"abstract": "字" * 3001})
    assert fields_of(result) == ["abstract"]
    assert "3000" in result.errors[0].message


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb", "\x08"])
@pytest.mark.parametrize("name", ["title", "abstract", "aims", "technical_route", "foundation"])
def test_it_refuses_control_characters(draft, name, text):
    result = save(draft, {name: text})
    assert fields_of(result) == [name]
    assert getattr(stored(draft), name) == ""


def test_it_keeps_line_breaks_and_tabs_in_long_texts(draft):
    save(draft, {"abstract": "第一段\r\n\t第二段"})
    assert stored(draft).abstract == "第一段\n\t第二段"


def test_it_stores_html_and_script_verbatim_as_text(draft):
    title = '<script>alert("x")</script>'
    abstract = "<b>粗体</b> & <img src=x onerror=alert(1)> &amp;"
    result = save(draft, {"title": title, "abstract": abstract})
    assert result.errors == []
    assert (stored(draft).title, stored(draft).abstract) == (title, abstract)


@pytest.mark.parametrize(
    ("given", "expected"), [("2022-03", date(2022, 3, 1)), ("2022-03-15", date(2022, 3, 1))]
)
def test_it_stores_the_start_as_the_first_day_of_its_month(draft, given, expected):
    assert save(draft, {"start_date": given}).errors == []
    assert stored(draft).start_date == expected


@pytest.mark.parametrize(
    ("name", "value"), [("start_date", "2022-13"), ("duration_months", "abc"), ("duration_months", -1)]
)
def test_it_refuses_a_bad_date_or_number(draft, name, value):
    assert fields_of(save(draft, {name: value})) == [name]


@pytest.mark.parametrize("value", [2022, 20220101, ["2022-01"], {"year": 2022}, True])
def test_it_refuses_a_start_date_that_is_not_text(draft, value):
    result = save(draft, {"start_date": value, "title": "题目"})
    assert fields_of(result) == ["start_date"]
    assert (stored(draft).start_date, stored(draft).title) == (None, "题目")


def test_it_refuses_a_guide_task_of_another_call(draft):
    task = stored(draft).guide_task
    result = save(draft, {"guide_task": GuideTaskFactory().pk, "title": "题目"})
    assert fields_of(result) == ["guide_task"]
    assert stored(draft).guide_task == task
    assert stored(draft).title == "题目"


def test_a_save_is_audited_with_what_was_saved_and_refused(draft):
    save(draft, {"title": "题目", "abstract": "\x00"})
    event = AuditEvent.objects.filter(action="application.save", object_id=str(draft.pk)).get()
    assert event.actor == draft.pi
    assert event.data == {"saved": ["title"], "refused": ["abstract"]}


def test_a_save_with_nothing_valid_changes_nothing(draft):
    version = stored(draft).version
    result = save(draft, {"title": "\x00"})
    assert result.saved == []
    assert stored(draft).version == version
    assert not AuditEvent.objects.filter(action="application.save").exists()


# --- Versions and states ------------------------------------------------------------------


def test_it_refuses_a_stale_version_and_saves_nothing(draft):
    save(draft, {"title": "第一版"})
    old = stored(draft).version - 1
    with pytest.raises(StaleDraft) as refused:
        application_save(
            application=draft, data={"title": "旧页面", "aims": "目标"}, version=old, by=draft.pi
        )
    assert (refused.value.code, refused.value.field) == ("stale", "version")
    application = stored(draft)
    assert (application.title, application.aims, application.version) == ("第一版", "", old + 1)


def test_it_refuses_editing_after_submission(ready):
    application_submit(application=ready, by=ready.pi)
    application = stored(ready)
    with pytest.raises(NotEditable) as refused:
        application_save(
            application=application, data={"title": "改"}, version=application.version, by=ready.pi
        )
    assert refused.value.code == "not_editable"
    with pytest.raises(NotEditable):
        attachment_upload(
            application=application,
            kind="proposal",
            upload=pdf_upload(),
            by=ready.pi,
            version=application.version,
        )
    with pytest.raises(NotEditable):
        application_commit(application=application, by=ready.pi, version=application.version, committed=False)
    assert stored(ready).title != "改"
    assert stored(ready).integrity_committed_at is not None


def test_a_returned_application_can_be_edited_again(ready):
    application_submit(application=ready, by=ready.pi)
    admin = UserFactory(role=Role.UNIT_ADMIN, organization=ready.lead_unit)
    application_move(application=stored(ready), action="return", by=admin, reason="补充")
    assert save(ready, {"title": "修改后的题目"}).errors == []
    assert stored(ready).title == "修改后的题目"


# --- List sections ------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["-1", "abc", "1.234", "", "NaN", "Infinity", None])
def test_it_refuses_a_bad_budget_amount_and_keeps_the_whole_budget(ready, amount):
    before = budget_of(ready)
    rows = budget_data(ready)
    for row in rows:
        row["amount"] = "1.00"  # the other rows change: none of it may be taken
    rows[2]["amount"] = amount
    result = save(ready, {"budget": rows, "title": "新题目"})
    assert fields_of(result) == ["budget[2].amount"]
    assert budget_of(ready) == before
    assert stored(ready).title == "新题目"


def test_it_refuses_the_same_budget_cell_twice(ready):
    before = budget_of(ready)
    rows = budget_data(ready)
    result = save(ready, {"budget": [*rows, dict(rows[0])]})
    assert fields_of(result) == [f"budget[{len(rows)}]"]
    assert budget_of(ready) == before


@pytest.mark.parametrize("unit", ["\x00{}", "{}\x1b"])
def test_it_refuses_a_control_character_in_a_budget_rows_unit(ready, unit):
    before = budget_of(ready)
    rows = budget_data(ready)
    rows[0]["unit_uscc"] = unit.format(rows[0]["unit_uscc"][1:])
    assert fields_of(save(ready, {"budget": rows})) == ["budget[0].unit_uscc"]
    assert budget_of(ready) == before


def test_a_budget_cell_of_zero_is_not_stored(ready):
    rows = budget_data(ready)
    rows[0]["amount"] = "0"
    assert save(ready, {"budget": rows}).errors == []
    assert len(budget_of(ready)) == len(rows) - 1


def test_a_list_section_with_one_bad_row_keeps_its_old_rows_and_other_sections_save(ready):
    indicators = list(ready.indicators.values_list("kind", "metric", "due_month"))
    data = {
        "indicators": [
            {"kind": "technical", "metric": "准确率", "target": "99", "unit": "%", "due_month": 12},
            {"kind": "financial", "metric": "利润", "target": "1", "unit": "万元", "due_month": 12},
        ],
        "milestones": [{"from_month": 1, "to_month": 36, "content": "全部工作"}],
    }
    result = save(ready, data)
    assert fields_of(result) == ["indicators[1].kind"]
    assert result.saved == ["milestones"]
    assert list(ready.indicators.values_list("kind", "metric", "due_month")) == indicators
    assert list(ready.milestones.values_list("from_month", "to_month")) == [(1, 36)]


def test_it_refuses_a_milestone_that_ends_before_it_starts(ready):
    result = save(ready, {"milestones": [{"from_month": 12, "to_month": 1, "content": "倒序"}]})
    assert fields_of(result) == ["milestones[0].from_month"]
    assert ready.milestones.count() == 2


@pytest.mark.parametrize("rows", ["not a list", [1, 2], [{"kind": "technical"}] * 201])
def test_it_refuses_a_section_that_is_not_a_list_of_rows(ready, rows):
    result = save(ready, {"indicators": rows})
    assert fields_of(result)[0].startswith("indicators")
    assert ready.indicators.count() == 2


# --- Team ---------------------------------------------------------------------------------


def test_it_refuses_a_resident_id_with_a_wrong_check_character(ready):
    rows = team_data(ready)
    good = rows[1]["id_number"]
    rows[1]["id_number"] = good[:17] + ("0" if good[17] != "0" else "1")
    before = list(ready.team.values_list("id_number", flat=True))
    with translation.override("en"):
        result = save(ready, {"team": rows})
    assert fields_of(result) == ["team[1].id_number"]
    assert "GB 11643" in result.errors[0].message
    assert list(ready.team.values_list("id_number", flat=True)) == before


def test_it_accepts_a_passport_with_the_birth_date_given(ready):
    rows = team_data(ready)
    rows.append(
        {
            "name": "John Smith",
            "id_type": "passport",
            "id_number": "e1234567",
            "birth_date": "1970-02-03",
            "unit": "四川大学",
            "role": "member",
            "time_percent": 10,
        }
    )
    assert save(ready, {"team": rows}).errors == []
    member = ready.team.get(name="John Smith")
    assert (member.id_type, member.id_number, member.birth_date) == ("passport", "E1234567", date(1970, 2, 3))


def test_it_derives_the_birth_date_from_the_resident_id(ready):
    rows = team_data(ready)
    number = make_id_number(321, born=date(1975, 3, 9))
    rows.append(
        {
            "name": "李四",
            "id_number": number.lower(),
            "birth_date": "2000-01-01",
            "unit": "重庆大学",
            "role": "member",
            "time_percent": 10,
        }
    )
    assert save(ready, {"team": rows}).errors == []
    member = ready.team.get(name="李四")
    assert (member.id_number, member.birth_date) == (number.upper(), date(1975, 3, 9))


def test_it_links_a_teammate_by_email(ready):
    teammate = UserFactory(email="li.si@example.test")
    rows = team_data(ready)
    rows[1]["email"] = "  Li.Si@Example.test "
    assert save(ready, {"team": rows}).errors == []
    assert ready.team.get(position=1).user == teammate
    assert ready.team.get(role="pi").user == ready.pi


def test_it_refuses_an_email_that_no_account_uses(ready):
    rows = team_data(ready)
    rows[1]["email"] = "nobody@example.test"
    result = save(ready, {"team": rows})
    assert fields_of(result) == ["team[1].email"]
    assert ready.team.get(position=1).user is None


@pytest.mark.parametrize("email", ["li\x00si@example.test", "nobody", "a@b@c"])
def test_it_refuses_an_email_that_is_not_an_address(ready, email):
    rows = team_data(ready)
    rows[1]["email"] = email
    assert fields_of(save(ready, {"team": rows})) == ["team[1].email"]
    assert ready.team.get(position=1).user is None


@pytest.mark.parametrize("birth_date", [19700203, ["1970-02-03"], "1970-02-30"])
def test_it_refuses_a_passport_holders_birth_date_that_is_no_date(ready, birth_date):
    rows = team_data(ready)
    rows[1].update(id_type="passport", id_number="E1234567", birth_date=birth_date)
    assert fields_of(save(ready, {"team": rows})) == ["team[1].birth_date"]
    assert ready.team.get(position=1).id_type == "resident_id"


@pytest.mark.parametrize(
    ("name", "value"), [("time_percent", 0), ("time_percent", 101), ("role", "boss"), ("name", "")]
)
def test_it_refuses_a_bad_team_field(ready, name, value):
    rows = team_data(ready)
    rows[1][name] = value
    assert fields_of(save(ready, {"team": rows})) == [f"team[1].{name}"]
    assert TeamMember.objects.filter(application=ready).count() == 2


# --- Attachments --------------------------------------------------------------------------


def upload(application: Application, file, kind: str = "proposal", **extra) -> Attachment:
    current = stored(application)
    return attachment_upload(
        application=current, kind=kind, upload=file, by=current.pi, version=current.version, **extra
    )


def test_the_attachment_size_limit_is_20_mib():
    assert services.MAX_ATTACHMENT_BYTES == 20 * 1024 * 1024


def test_it_refuses_a_png_named_pdf(draft):
    with pytest.raises(ApplicationError) as refused:
        upload(draft, pdf_upload("x.pdf", PNG_BYTES))
    assert (refused.value.code, refused.value.field) == ("not_pdf", "file")
    assert not draft.attachments.exists()


def test_it_refuses_a_pdf_header_without_its_end(draft):
    with pytest.raises(ApplicationError) as refused:
        upload(draft, pdf_upload("x.pdf", b"%PDF-1.4\n" + b"0" * 5000))
    assert refused.value.code == "not_pdf"


def test_it_refuses_a_file_over_the_size_limit(draft, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", len(PDF_BYTES) + 10)
    with pytest.raises(ApplicationError) as refused:
        upload(draft, pdf_upload("big.pdf", PDF_BYTES + b"%" * 11))
    assert (refused.value.code, refused.value.field) == ("too_large", "file")
    assert not draft.attachments.exists()
    assert upload(draft, pdf_upload("fits.pdf", PDF_BYTES + b"%" * 10)).size == len(PDF_BYTES) + 10


@pytest.mark.parametrize("name", ["../../etc/x.pdf", "a\\b.pdf", "x\x00.pdf", "x\n.pdf", ""])
def test_it_refuses_a_file_name_with_a_path_or_control_characters(draft, name):
    with pytest.raises(ApplicationError) as refused:
        upload(draft, ContentFile(PDF_BYTES, name=name))
    assert (refused.value.code, refused.value.field) == ("invalid", "file")
    assert not draft.attachments.exists()


def test_an_uploaded_files_path_is_dropped_before_it_reaches_the_service(draft):
    attachment = upload(draft, pdf_upload("../../etc/x.pdf"))
    assert attachment.original_name == "x.pdf"
    assert ".." not in attachment.file.name


def test_a_valid_upload_replaces_the_previous_one_of_the_same_kind(draft):
    upload(draft, pdf_upload("v1.pdf"))
    version = stored(draft).version
    second = upload(draft, pdf_upload("v2.pdf", PDF_BYTES.replace(b"1 0 obj", b"2 0 obj")))
    (row,) = Attachment.objects.filter(application=draft, kind="proposal")
    assert row.pk == second.pk
    assert row.original_name == "v2.pdf"
    assert row.file.read() == PDF_BYTES.replace(b"1 0 obj", b"2 0 obj")
    assert stored(draft).version == version + 1
    upload(draft, pdf_upload("agreement.pdf"), kind="agreement")
    assert Attachment.objects.filter(application=draft).count() == 2


def test_the_stored_file_name_is_the_fingerprint_not_the_uploaders_name(draft):
    name = f"{draft.pi.full_name}的申报书.pdf"
    attachment = upload(draft, pdf_upload(name))
    assert attachment.original_name == name
    assert draft.pi.full_name not in attachment.file.name
    assert "申报书" not in attachment.file.name
    assert re.fullmatch(
        rf"applications/{draft.pk}/proposal-{attachment.sha256[:16]}\w*\.pdf", attachment.file.name
    )
    with attachment.file.open("rb") as stored_file:
        assert stored_file.read() == PDF_BYTES
    event = AuditEvent.objects.get(action="application.attachment")
    assert event.data["sha256"] == attachment.sha256


def test_it_refuses_an_unknown_kind_or_a_partner_form_of_no_partner(ready):
    with pytest.raises(ApplicationError) as refused:
        upload(ready, pdf_upload(), kind="cv")
    assert refused.value.field == "kind"
    with pytest.raises(ApplicationError) as refused:
        upload(ready, pdf_upload(), kind="partner_form", partner_uscc=OrganizationFactory().uscc)
    assert refused.value.field == "partner_uscc"
    partner = ready.partners.get()
    attachment = upload(ready, pdf_upload(), kind="partner_form", partner_uscc=partner.uscc.lower())
    assert attachment.partner_uscc == partner.uscc


def test_it_refuses_an_upload_made_from_a_stale_version(draft):
    current = stored(draft)
    save(draft, {"title": "别人刚保存"})
    with pytest.raises(StaleDraft):
        attachment_upload(
            application=current, kind="proposal", upload=pdf_upload(), by=current.pi, version=current.version
        )
    assert not draft.attachments.exists()


# --- Integrity commitment -----------------------------------------------------------------


def test_the_project_leader_ticks_and_unticks_the_commitment(draft):
    current = stored(draft)
    application_commit(application=current, by=draft.pi, version=current.version)
    application = stored(draft)
    assert application.integrity_committed_at is not None
    assert application.integrity_committed_by == draft.pi
    application_commit(application=application, by=draft.pi, version=application.version, committed=False)
    application = stored(draft)
    assert (application.integrity_committed_at, application.integrity_committed_by) == (None, None)
    events = AuditEvent.objects.filter(action="application.commitment").order_by("id")
    assert [event.data for event in events] == [{"committed": True}, {"committed": False}]


def test_it_refuses_the_commitment_from_anyone_but_the_project_leader(draft):
    teammate = make_applicant(unit=draft.lead_unit)
    current = stored(draft)
    with pytest.raises(ApplicationError) as refused:
        application_commit(application=current, by=teammate, version=current.version)
    assert refused.value.code == "not_allowed"
    assert stored(draft).integrity_committed_at is None


def test_it_refuses_a_commitment_from_a_stale_version(draft):
    current = stored(draft)
    save(draft, {"title": "别人刚保存"})
    with pytest.raises(StaleDraft):
        application_commit(application=current, by=draft.pi, version=current.version)
    assert stored(draft).integrity_committed_at is None


@pytest.mark.parametrize("value", [{"a": 1}, ["标题"], True])
def test_it_refuses_a_title_that_is_not_text(draft, value):
    before = stored(draft).title

    result = save(draft, {"title": value})

    assert fields_of(result) == ["title"]
    assert stored(draft).title == before


def test_the_leaders_row_carries_the_pi_accounts_own_id_number(ready):
    rows = team_data(ready)
    own = ready.pi.id_number
    rows[0]["id_number"] = make_id_number(777, born=date(1990, 1, 1))  # another person's number

    result = save(ready, {"team": rows})

    assert not result.errors
    assert stored(ready).team.get(role="pi").id_number == own


def test_a_leader_without_an_id_number_in_the_profile_is_asked_to_add_it(ready):
    User.objects.filter(pk=ready.pi_id).update(id_number="")
    before = team_data(ready)

    result = save(ready, {"team": team_data(ready)})

    assert fields_of(result) == ["team[0].id_number"]
    assert team_data(ready) == before


@pytest.mark.parametrize("field", ["from_month", "to_month"])
def test_a_huge_number_in_a_row_is_refused_not_a_crash(draft, field):
    row = {"from_month": 1, "to_month": 2, "content": "调研", field: float("inf")}

    result = save(draft, {"milestones": [row]})

    assert fields_of(result) == [f"milestones[0].{field}"]


def test_a_partner_code_with_a_control_character_is_refused_on_upload(ready):
    current = stored(ready)
    with pytest.raises(ApplicationError) as refusal:
        attachment_upload(
            application=current,
            kind="partner_form",
            upload=pdf_upload("form.pdf"),
            by=ready.pi,
            version=current.version,
            partner_uscc="91\x0012",
        )
    assert refusal.value.field == "partner_uscc"
