"""The pages where the team fills in an application section by section: what they show, what a
save stores, how bad input, a stale page and a submitted application are answered, who may
see them, attachments up and down, and a query count that does not grow with the rows."""

import html
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from applications.models import Application, BudgetLine, Partner, TeamMember
from applications.problems import by_section, problems_of
from applications.rules import SECTIONS
from applications.selectors import application_with_parts
from applications.services import application_create, application_save, application_submit
from portal.accounts.roles import Role
from tests.factories import (
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

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def draft() -> Application:
    """A new draft of a Chongqing lead unit, its leader already on the team."""
    call = FundingCallFactory()
    task = GuideTaskFactory(call=call)
    return application_create(call=call, by=make_applicant(), guide_task=task)


def url(application: Application, section: str) -> str:
    return reverse("applications:edit", args=[application.pk, section])


def fresh(application: Application) -> Application:
    return application_with_parts(application.pk)


def text(response) -> str:
    return html.unescape(response.content.decode())


def management(prefix: str, total: int, initial: int = 0) -> dict[str, object]:
    return {
        f"{prefix}-TOTAL_FORMS": total,
        f"{prefix}-INITIAL_FORMS": initial,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 200,
    }


def rows_post(application: Application, prefix: str, rows: list[dict], initial: int = 0, **extra) -> dict:
    data: dict[str, object] = {"version": application.version, **management(prefix, len(rows), initial)}
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return {**data, **extra}


def budget_name(uscc: str, category: str, source: str) -> str:
    return f"{uscc}-{category}-{source}"


# --- What the pages show --------------------------------------------------------------------


@pytest.mark.parametrize("section", SECTIONS)
def test_each_section_renders_for_the_leader_with_what_is_still_missing(client, draft, section):
    client.force_login(draft.pi)

    response = client.get(url(draft, section), **EN)

    assert response.status_code == 200
    with translation.override("en"):
        missing = by_section(problems_of(fresh(draft)))[section]
    page = text(response)
    if section in ("team", "avoid"):  # the leader is on the team from the start; avoid is optional
        assert not missing
        assert "Nothing is missing in this section." in page
    else:
        assert missing
        assert "Still missing in this section" in page
    for problem in missing:
        assert problem.message in page
    # Every section is listed in the navigation, and the form carries the version it was made from.
    for code in SECTIONS:
        assert url(draft, code) in page
    if section not in ("attachments",):
        assert f'name="version" value="{draft.version}"' in page


def test_the_navigation_marks_complete_sections_and_counts_what_is_missing(client, draft):
    client.force_login(draft.pi)

    page = text(client.get(url(draft, "basics"), **EN))

    assert "4 missing" in page  # abstract, aims, technical route, foundation
    ready = make_ready_application()
    client.force_login(ready.pi)
    page = text(client.get(url(ready, "basics"), **EN))
    assert "missing" not in page.split('class="section-nav"')[1].split("</nav>")[0]
    assert page.count("section-nav__mark--done") == len(SECTIONS)
    assert "Nothing is missing in this section." in page


def test_basics_shows_the_lead_unit_its_province_and_the_leader_read_only(client, draft):
    client.force_login(draft.pi)

    page = text(client.get(url(draft, "basics"), **EN))

    assert draft.lead_unit.name in page
    assert draft.lead_unit.uscc in page
    assert "Chongqing" in page
    assert draft.pi.full_name in page
    assert f"Between {draft.call.min_duration_months} and {draft.call.max_duration_months} months" in page
    assert 'type="month"' in page
    assert draft.guide_task.title_en in page


def test_a_title_with_markup_is_shown_as_text(client, draft):
    application_save(
        application=draft, data={"title": "<script>alert(1)</script>"}, version=draft.version, by=draft.pi
    )
    client.force_login(draft.pi)

    response = client.get(url(draft, "basics"))

    assert "<script>alert(1)</script>" not in response.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.content.decode()


# --- Saving each section ----------------------------------------------------------------------


def test_saving_basics_stores_them_and_redirects_to_the_same_section(client, draft):
    client.force_login(draft.pi)
    other_task = GuideTaskFactory(call=draft.call)

    response = client.post(
        url(draft, "basics"),
        {
            "version": draft.version,
            "guide_task": other_task.pk,
            "title": "川渝智能诊断",
            "start_date": "2022-03",
            "duration_months": "24",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == url(draft, "basics")
    draft.refresh_from_db()
    assert draft.guide_task == other_task
    assert draft.title == "川渝智能诊断"
    assert draft.start_date.isoformat() == "2022-03-01"
    assert draft.duration_months == 24


def test_save_and_continue_goes_to_the_next_section(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        url(draft, "content"),
        {
            "version": draft.version,
            "abstract": "摘要",
            "aims": "目标",
            "technical_route": "路线",
            "foundation": "基础",
            "then": "next",
        },
    )

    assert response["Location"] == url(draft, "partners")
    draft.refresh_from_db()
    assert (draft.abstract, draft.aims, draft.technical_route, draft.foundation) == (
        "摘要",
        "目标",
        "路线",
        "基础",
    )


def test_saving_partners_stores_a_registered_and_a_named_unit(client, draft):
    client.force_login(draft.pi)
    sichuan = OrganizationFactory(sichuan=True)
    named_uscc = OrganizationFactory.build(sichuan=True).uscc

    response = client.post(
        url(draft, "partners"),
        rows_post(
            draft,
            "partners",
            [
                {"registered": sichuan.uscc},
                {"name": "未注册的合作单位", "uscc": named_uscc, "province": "SC"},
                {},  # an empty row is ignored
            ],
        ),
    )

    assert response.status_code == 302
    partners = list(Partner.objects.filter(application=draft).order_by("position"))
    assert [(p.organization_id, p.name, p.uscc, p.province) for p in partners] == [
        (sichuan.pk, sichuan.name, sichuan.uscc, "SC"),
        (None, "未注册的合作单位", named_uscc, "SC"),
    ]
    page = text(client.get(url(draft, "partners"), **EN))
    assert "Sealed cooperation form not uploaded yet" in page
    assert url(draft, "attachments") in page


def test_a_registered_partner_can_be_typed_by_name_and_removed_with_its_box(client, draft):
    client.force_login(draft.pi)
    sichuan = OrganizationFactory(sichuan=True)
    client.post(url(draft, "partners"), rows_post(draft, "partners", [{"registered": sichuan.name}]))
    draft.refresh_from_db()
    assert draft.partners.get().organization == sichuan

    client.post(
        url(draft, "partners"),
        rows_post(draft, "partners", [{"registered": sichuan.uscc, "DELETE": "on"}], 1),
    )

    assert not draft.partners.exists()


def test_saving_the_team_stores_the_leader_first_and_a_teammate(client, draft):
    client.force_login(draft.pi)
    teammate = make_applicant(serial=321)
    leader = draft.team.get()

    response = client.post(
        url(draft, "team"),
        rows_post(
            draft,
            "team",
            [
                {
                    "name": leader.name,
                    "id_type": "resident_id",
                    "id_number": leader.id_number,
                    "unit": "牵头单位",
                    "title": "教授",
                    "time_percent": "60",
                },
                {
                    "name": "合作者",
                    "email": teammate.email,
                    "id_type": "resident_id",
                    "id_number": teammate.id_number,
                    "unit": "合作单位",
                    "title": "副教授",
                    "role": "core",
                    "time_percent": "30",
                },
            ],
            initial=1,
        ),
    )

    assert response.status_code == 302
    team = list(TeamMember.objects.filter(application=draft).order_by("position"))
    assert [(m.role, m.user_id, m.time_percent, m.unit_name) for m in team] == [
        ("pi", draft.pi_id, 60, "牵头单位"),
        ("core", teammate.pk, 30, "合作单位"),
    ]


def test_the_leaders_role_is_fixed_whatever_is_posted(client, draft):
    client.force_login(draft.pi)
    leader = draft.team.get()

    client.post(
        url(draft, "team"),
        rows_post(
            draft,
            "team",
            [
                {
                    "name": leader.name,
                    "id_number": leader.id_number,
                    "unit": "牵头单位",
                    "role": "member",
                    "time_percent": "50",
                }
            ],
            initial=1,
        ),
    )

    assert draft.team.get().role == "pi"


def test_saving_indicators_and_milestones_stores_them(client, draft):
    client.force_login(draft.pi)

    client.post(
        url(draft, "indicators"),
        rows_post(
            draft,
            "indicators",
            [
                {"kind": "technical", "metric": "准确率", "target": "95.5", "unit": "%", "due_month": "24"},
                {"kind": "economic", "metric": "产值", "target": "500", "unit": "万元", "due_month": "36"},
                {"kind": "technical"},  # an empty row with only the select changed is still empty
            ],
        ),
    )
    draft.refresh_from_db()
    client.post(
        url(draft, "milestones"),
        rows_post(draft, "milestones", [{"from_month": "1", "to_month": "12", "content": "数据采集"}]),
    )

    assert [(i.kind, i.target, i.due_month) for i in draft.indicators.all()] == [
        ("technical", Decimal("95.50"), 24),
        ("economic", Decimal("500.00"), 36),
    ]
    assert [(m.from_month, m.to_month, m.content) for m in draft.milestones.all()] == [(1, 12, "数据采集")]


def test_the_budget_in_wan_is_stored_in_yuan(client, draft):
    client.force_login(draft.pi)
    lead = draft.lead_unit.uscc

    response = client.post(
        url(draft, "budget"),
        {
            "version": draft.version,
            budget_name(lead, "equipment", "cq_gov"): "12.34",
            budget_name(lead, "operating", "self"): "1,000",
            budget_name(lead, "labour", "cq_gov"): "",
        },
    )

    assert response.status_code == 302
    lines = {(b.category, b.source): b.amount for b in BudgetLine.objects.filter(application=draft)}
    assert lines == {
        ("equipment", "cq_gov"): Decimal("123400.00"),
        ("operating", "self"): Decimal("10000000.00"),
    }
    page = text(client.get(url(draft, "budget"), **EN))
    assert 'value="12.34"' in page
    assert "1,012.34" in page  # the saved total of the lead unit, in 万元
    assert "at most 200.00" in page  # the call's cap


def test_uploading_an_attachment_stores_it_and_it_can_be_downloaded(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        url(draft, "attachments"),
        {
            "version": draft.version,
            "kind": "proposal",
            "partner_uscc": "",
            "file": pdf_upload('申报书 "final".pdf'),
        },
    )

    assert response.status_code == 302
    attachment = draft.attachments.get()
    assert attachment.kind == "proposal"
    page = text(client.get(url(draft, "attachments"), **EN))
    download = reverse("applications:attachment", args=[draft.pk, attachment.pk])
    assert download in page
    assert 'accept=".pdf,application/pdf"' in page
    assert 'enctype="multipart/form-data"' in page

    response = client.get(download)

    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert '"final"' not in disposition and "/" not in disposition.split("filename")[1].strip("=\"'")


def test_the_leader_ticks_the_commitment_and_teammates_see_who_and_when(client, draft):
    client.force_login(draft.pi)

    response = client.post(url(draft, "commitment"), {"version": draft.version, "committed": "1"})

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.integrity_committed_by == draft.pi
    teammate = make_applicant(serial=322)
    TeamMember.objects.create(
        application=draft,
        user=teammate,
        name="队员",
        id_number=teammate.id_number,
        unit_name="单位",
        role="member",
        time_percent=10,
    )
    client.force_login(teammate)
    page = text(client.get(url(draft, "commitment"), **EN))
    assert f"Made by {draft.pi.full_name}" in page
    assert "(Beijing time)" in page
    assert 'name="committed"' not in page

    response = client.post(url(draft, "commitment"), {"version": draft.version, "committed": "1"}, **EN)

    assert response.status_code == 403
    assert "Only the project leader can sign the integrity commitment." in text(response)


# --- Bad input ---------------------------------------------------------------------------------


def test_a_title_of_ten_thousand_characters_is_refused_and_kept_in_the_form_while_the_rest_is_saved(
    client, draft
):
    client.force_login(draft.pi)
    long_title = "题" * 10_000

    response = client.post(
        url(draft, "basics"),
        {
            "version": draft.version,
            "guide_task": draft.guide_task_id,
            "title": long_title,
            "start_date": "",
            "duration_months": "30",
        },
        **EN,
    )

    assert response.status_code == 200
    page = text(response)
    assert "Project title: Ensure this value has at most 200 characters (it has 10000)." in page
    assert f'value="{long_title}"' in page
    assert 'aria-invalid="true"' in page
    assert "The other entries of this section were saved." in page
    draft.refresh_from_db()
    assert draft.title == ""
    assert draft.duration_months == 30
    assert f'name="version" value="{draft.version}"' in page  # the next save is not stale


def test_a_control_character_is_refused_and_kept_in_the_form(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        url(draft, "content"),
        {
            "version": draft.version,
            "abstract": "摘要\x07内容",
            "aims": "目标",
            "technical_route": "",
            "foundation": "",
        },
        **EN,
    )

    page = text(response)
    assert "Abstract: This text contains control characters, which are not allowed." in page
    assert "摘要\x07内容" in page
    draft.refresh_from_db()
    assert draft.abstract == ""
    assert draft.aims == "目标"


@pytest.mark.parametrize(
    ("typed", "rule"),
    [
        ("-1", "the amount may not be negative."),
        ("abc", "“abc” is not a number"),
        ("1.234", "at most two decimals"),
    ],
)
def test_a_bad_budget_amount_names_its_cell_and_the_rule_and_nothing_is_saved(client, draft, typed, rule):
    client.force_login(draft.pi)
    lead = draft.lead_unit.uscc

    response = client.post(
        url(draft, "budget"),
        {
            "version": draft.version,
            budget_name(lead, "equipment", "sc_gov"): typed,
            budget_name(lead, "operating", "cq_gov"): "5",
        },
        **EN,
    )

    assert response.status_code == 200
    page = text(response)
    assert f"Lead unit · Equipment · Sichuan government funds: {rule}" in page
    assert f'value="{typed}"' in page
    assert 'value="5"' in page
    assert "Nothing in this section was saved yet" in page
    assert not BudgetLine.objects.filter(application=draft).exists()


def test_the_lead_unit_as_partner_is_refused_with_the_rule(client, draft):
    client.force_login(draft.pi)
    sichuan = OrganizationFactory(sichuan=True)

    response = client.post(
        url(draft, "partners"),
        rows_post(draft, "partners", [{"registered": sichuan.uscc}, {"registered": draft.lead_unit.uscc}]),
        **EN,
    )

    page = text(response)
    assert (
        f"Partner unit 2 · Registered unit (code or name): {draft.lead_unit.name} is the lead unit; it cannot also be a partner."
        in page
    )
    assert f'value="{draft.lead_unit.uscc}"' in page
    assert not draft.partners.exists()
    # The lead unit is not offered in the list of registered units.
    datalist = page.split('<datalist id="registered-units">')[1].split("</datalist>")[0]
    assert draft.lead_unit.uscc not in datalist
    assert sichuan.uscc in datalist


def test_an_unknown_registered_unit_and_a_bad_row_are_all_shown_at_once(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        url(draft, "partners"),
        rows_post(
            draft,
            "partners",
            [{"registered": "不存在的单位"}, {"name": "某单位", "uscc": "123", "province": "SC"}],
        ),
        **EN,
    )

    page = text(response)
    assert "No unit registered on the portal has the code or name “不存在的单位”." in page
    assert (
        "Partner unit 2 · Its unified social credit code: The unified social credit code must be exactly 18 characters (got 3)."
        in page
    )
    assert not draft.partners.exists()


def test_a_team_row_with_a_bad_id_number_names_the_row_and_field(client, draft):
    client.force_login(draft.pi)
    leader = draft.team.get()
    bad = make_id_number(5)[:-1] + ("0" if make_id_number(5)[-1] != "0" else "1")

    response = client.post(
        url(draft, "team"),
        rows_post(
            draft,
            "team",
            [
                {
                    "name": leader.name,
                    "id_number": leader.id_number,
                    "unit": "牵头单位",
                    "time_percent": "50",
                },
                {"name": "队员", "id_number": bad, "unit": "合作单位", "role": "member", "time_percent": ""},
            ],
            initial=1,
        ),
        **EN,
    )

    page = text(response)
    assert "Team member 2 · ID or passport number: The resident ID number fails the GB 11643 check" in page
    assert "Team member 2 · Working time (%): This field is required." in page
    assert f'value="{bad}"' in page
    assert draft.team.count() == 1


def test_a_stale_page_is_refused_with_the_typed_text_kept_and_nothing_changed(client, draft):
    client.force_login(draft.pi)
    opened_at = draft.version
    application_save(application=draft, data={"title": "队友保存的题目"}, version=opened_at, by=draft.pi)

    response = client.post(
        url(draft, "basics"),
        {
            "version": opened_at,
            "guide_task": "",
            "title": "我刚输入的题目",
            "start_date": "2023-01",
            "duration_months": "12",
        },
        **EN,
    )

    assert response.status_code == 409
    page = text(response)
    assert "Someone saved this application after you opened it" in page
    assert 'value="我刚输入的题目"' in page
    assert 'value="2023-01"' in page
    draft.refresh_from_db()
    assert draft.title == "队友保存的题目"
    assert draft.start_date is None
    assert draft.version == opened_at + 1


# --- Who may see and change the pages -------------------------------------------------------


def test_a_teammate_with_an_account_can_edit(client, draft):
    teammate = make_applicant(serial=323)
    TeamMember.objects.create(
        application=draft,
        user=teammate,
        name="队员",
        id_number=teammate.id_number,
        unit_name="单位",
        role="member",
        time_percent=10,
    )
    client.force_login(teammate)

    response = client.post(
        url(draft, "content"),
        {
            "version": draft.version,
            "abstract": "队员写的摘要",
            "aims": "",
            "technical_route": "",
            "foundation": "",
        },
    )

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.abstract == "队员写的摘要"


@pytest.mark.parametrize("who", ["other_applicant", "other_unit_admin"])
@pytest.mark.parametrize("submitted", [False, True])
def test_another_applicant_or_another_units_admin_gets_404(client, who, submitted):
    application = make_ready_application()
    if submitted:
        application_submit(application=application, by=application.pi)
    stranger = (
        make_applicant()
        if who == "other_applicant"
        else UserFactory(role=Role.UNIT_ADMIN, organization=OrganizationFactory())
    )
    client.force_login(stranger)
    before = Application.objects.get(pk=application.pk).version

    assert client.get(url(application, "basics")).status_code == 404
    assert client.post(url(application, "basics"), {"version": before, "title": "x"}).status_code == 404
    assert Application.objects.get(pk=application.pk).version == before


def test_an_anonymous_visitor_is_sent_to_sign_in(client, draft):
    response = client.get(url(draft, "basics"))

    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_an_unknown_section_is_a_404(client, draft):
    client.force_login(draft.pi)

    assert client.get(url(draft, "secrets")).status_code == 404


@pytest.mark.parametrize("section", SECTIONS)
def test_after_submission_the_pages_are_read_only(client, section):
    application = make_ready_application()
    application_submit(application=application, by=application.pi)
    before = Application.objects.get(pk=application.pk)
    client.force_login(application.pi)

    page = text(client.get(url(application, section), **EN))

    assert "The application has been submitted and can no longer be changed." in page
    assert "Save and continue" not in page
    assert 'type="file"' not in page

    response = client.post(
        url(application, section),
        {
            "version": before.version,
            "title": "改动",
            "abstract": "改动",
            "committed": "",
            "kind": "proposal",
            "file": pdf_upload(),
        },
        **EN,
    )

    assert response.status_code == 403
    assert "The application has been submitted and can no longer be changed." in text(response)
    after = Application.objects.get(pk=application.pk)
    assert (after.version, after.title, after.abstract, after.integrity_committed_at) == (
        before.version,
        before.title,
        before.abstract,
        before.integrity_committed_at,
    )


# --- Attachments ----------------------------------------------------------------------------------


def test_uploading_a_file_that_is_not_a_pdf_shows_the_message_next_to_it(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        url(draft, "attachments"),
        {
            "version": draft.version,
            "kind": "agreement",
            "partner_uscc": "",
            "file": pdf_upload("agreement.pdf", b"GIF89a not a pdf"),
        },
        **EN,
    )

    assert response.status_code == 200
    page = text(response)
    assert "The file is not a PDF (checked by its content, not its name). Please upload a PDF." in page
    assert 'id="file-agreement-error"' in page
    assert not draft.attachments.exists()


def test_uploading_without_a_file_asks_for_one(client, draft):
    client.force_login(draft.pi)

    page = text(client.post(url(draft, "attachments"), {"version": draft.version, "kind": "proposal"}, **EN))

    assert "Choose a PDF file to upload." in page


def test_a_named_partner_gets_an_upload_slot_for_its_sealed_form(client, draft):
    named_uscc = OrganizationFactory.build(sichuan=True).uscc
    application_save(
        application=draft,
        data={"partners": [{"name": "未注册单位", "uscc": named_uscc, "province": "SC"}]},
        version=draft.version,
        by=draft.pi,
    )
    client.force_login(draft.pi)
    draft.refresh_from_db()

    response = client.post(
        url(draft, "attachments"),
        {
            "version": draft.version,
            "kind": "partner_form",
            "partner_uscc": named_uscc,
            "file": pdf_upload("form.pdf"),
        },
    )

    assert response.status_code == 302
    assert draft.attachments.get().partner_uscc == named_uscc
    page = text(client.get(url(draft, "partners"), **EN))
    assert "Sealed cooperation form uploaded" in page


def test_another_applicant_cannot_download_an_attachment(client):
    application = make_ready_application()
    attachment = application.attachments.first()
    download = reverse("applications:attachment", args=[application.pk, attachment.pk])
    client.force_login(make_applicant())

    assert client.get(download).status_code == 404
    # Nor through an application of their own.
    own = application_create(call=application.call, by=make_applicant(), guide_task=None)
    client.force_login(own.pi)
    assert client.get(reverse("applications:attachment", args=[own.pk, attachment.pk])).status_code == 404


# --- Queries ----------------------------------------------------------------------------------------


def add_team_rows(application: Application, count: int) -> None:
    TeamMember.objects.bulk_create(
        TeamMember(
            application=application,
            position=n + 1,
            user=UserFactory() if n % 2 else None,
            name=f"队员{n}",
            id_number=make_id_number(600 + n),
            unit_name="单位",
            role="member",
            time_percent=10,
        )
        for n in range(count)
    )


def add_budget_lines(application: Application, count: int) -> None:
    units = [application.lead_unit.uscc]
    for position in range(count // 12 + 1):
        partner = OrganizationFactory(sichuan=True)
        Partner.objects.create(
            application=application,
            position=position,
            organization=partner,
            name=partner.name,
            uscc=partner.uscc,
            province="SC",
        )
        units.append(partner.uscc)
    cells = [
        (uscc, category, source)
        for uscc in units
        for category in ("equipment", "operating", "labour", "indirect")
        for source in ("sc_gov", "cq_gov", "self")
    ]
    BudgetLine.objects.bulk_create(
        BudgetLine(application=application, unit_uscc=u, category=c, source=s, amount=Decimal("10000.00"))
        for u, c, s in cells[:count]
    )


@pytest.mark.parametrize("rows", [2, 50])
def test_the_team_page_costs_the_same_queries_for_2_and_50_rows(
    client, draft, rows, django_assert_max_num_queries
):
    add_team_rows(draft, rows)
    client.force_login(draft.pi)

    with django_assert_max_num_queries(12):
        response = client.get(url(draft, "team"))

    assert response.status_code == 200
    assert f"队员{rows - 1}" in response.content.decode()


@pytest.mark.parametrize("rows", [2, 50])
def test_the_budget_page_costs_the_same_queries_for_2_and_50_rows(
    client, draft, rows, django_assert_max_num_queries
):
    add_budget_lines(draft, rows)
    client.force_login(draft.pi)

    with django_assert_max_num_queries(13):
        response = client.get(url(draft, "budget"))

    assert response.status_code == 200
    assert BudgetLine.objects.filter(application=draft).count() == rows


def test_a_leader_without_an_id_number_finds_their_row_started_from_the_profile(client):
    unit = OrganizationFactory()
    leader = UserFactory(organization=unit, full_name="无证件号的负责人")
    application = application_create(call=FundingCallFactory(), by=leader)
    assert not application.team.exists()
    client.force_login(leader)

    page = text(client.get(url(application, "team"), **EN))

    assert 'value="无证件号的负责人"' in page
    assert "Team member 1: the project leader" in page
    assert "The team must have exactly one project leader (it has 0)." in page


def test_the_lead_units_admin_reads_a_submitted_application_but_cannot_change_it(client):
    application = make_ready_application()
    application_submit(application=application, by=application.pi)
    admin = UserFactory(role=Role.UNIT_ADMIN, organization=application.lead_unit)
    client.force_login(admin)
    before = Application.objects.get(pk=application.pk).version

    assert client.get(url(application, "budget")).status_code == 200
    response = client.post(url(application, "content"), {"version": before, "abstract": "单位改的"}, **EN)

    assert response.status_code == 403
    assert "Only the project team may change the application." in text(response)
    assert Application.objects.get(pk=application.pk).version == before


def test_save_and_continue_on_the_last_section_goes_to_the_overview(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        url(draft, "commitment"), {"version": draft.version, "committed": "1", "then": "next"}
    )

    assert response["Location"] == reverse("applications:detail", args=[draft.pk])


@pytest.mark.parametrize("section", ["partners", "team", "indicators", "milestones"])
def test_a_row_section_posted_without_its_rows_changes_nothing(client, section):
    application = make_ready_application()
    client.force_login(application.pi)
    before = Application.objects.get(pk=application.pk).version

    response = client.post(url(application, section), {"version": before}, **EN)

    assert response.status_code == 200
    assert "ManagementForm data is missing or has been tampered with" in text(response)
    assert Application.objects.get(pk=application.pk).version == before
    assert not by_section(problems_of(fresh(application)))[section]


def test_an_upload_for_a_unit_that_is_not_a_partner_is_refused_with_the_message(client, draft):
    client.force_login(draft.pi)

    response = client.post(
        url(draft, "attachments"),
        {
            "version": draft.version,
            "kind": "partner_form",
            "partner_uscc": "91510000000000000X",
            "file": pdf_upload(),
        },
        **EN,
    )

    assert response.status_code == 200
    assert "Choose one of the application's partner units." in text(response)
    assert not draft.attachments.exists()
