"""Importing the expert pool from CSV and XLSX: a good file creates accounts, profiles and units
and invites the new experts after commit; a file with any bad row imports nothing and names
every bad row once, with each of its broken rules; a file that is no expert list is refused as
a whole. Switching experts on and off and sending the invitation again are audited."""

import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as settings_hypothesis
from hypothesis import strategies as st

from portal.accounts.models import User
from portal.accounts.roles import Role
from portal.audit.models import AuditEvent
from portal.mail.models import OutgoingEmail
from portal.organizations.models import Organization, OrganizationType
from portal.validators import USCC_ALPHABET
from reviews import pool_import
from reviews.models import ReviewerProfile
from reviews.pool_import import ImportFileError
from reviews.services.pool import PoolError, reviewer_invite, reviewer_set_active, reviewers_import
from tests.factories import OrganizationFactory, ResearchFieldFactory, UserFactory, make_applicant, make_uscc
from tests.reviews.factories import make_expert, make_staff

pytestmark = pytest.mark.django_db

HEADER = ["email", "full_name", "province", "unit_name", "unit_uscc", "fields", "title", "max_load", "active"]
CQ_UNIT = make_uscc(9001, "500000")
SC_UNIT = make_uscc(9002, "510000")
EXAMPLES = Path(settings.BASE_DIR) / "static" / "examples"


def bad_check_character(code: str) -> str:
    return code[:-1] + USCC_ALPHABET[(USCC_ALPHABET.index(code[-1]) + 1) % len(USCC_ALPHABET)]


@pytest.fixture(autouse=True)
def research_fields():
    return [ResearchFieldFactory(code=code) for code in ("ai", "health", "eco", "agri")]


@pytest.fixture
def staff():
    return make_staff("CQ")


def expert_row(n: int = 1, **values: str) -> dict[str, str]:
    row = {
        "email": f"expert{n}@example.com",
        "full_name": f"专家{n}",
        "province": "CQ",
        "unit_name": "重庆测试大学",
        "unit_uscc": CQ_UNIT,
        "fields": "ai",
        "title": "教授",
        "max_load": "10",
        "active": "yes",
    }
    row.update(values)
    return row


def csv_bytes(rows: list[dict[str, str]], header: list[str] = HEADER, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    out.write(",".join(header) + "\r\n")
    for row in rows:
        cells = [row.get(column, "") for column in header]
        out.write(",".join(f'"{cell}"' if ("," in cell or '"' in cell) else cell for cell in cells) + "\r\n")
    return out.getvalue().encode(encoding)


def csv_upload(rows: list[dict[str, str]], header: list[str] = HEADER, **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile("experts.csv", csv_bytes(rows, header, **kwargs), content_type="text/csv")


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def xlsx_upload(rows: list[dict[str, str]], header: list[str] = HEADER) -> SimpleUploadedFile:
    data = xlsx_bytes([header, *[[row.get(column, "") for column in header] for row in rows]])
    return SimpleUploadedFile("experts.xlsx", data)


def import_en(upload, by):
    with translation.override("en"):
        return reviewers_import(upload=upload, by=by)


def file_error(upload, by) -> ImportFileError:
    with translation.override("en"), pytest.raises(ImportFileError) as caught:
        reviewers_import(upload=upload, by=by)
    return caught.value


def nothing_imported() -> bool:
    return (
        not ReviewerProfile.objects.exists() and not User.objects.filter(email__startswith="expert").exists()
    )


# --- Good files -------------------------------------------------------------------------------


def test_a_good_csv_creates_accounts_profiles_and_units(staff):
    rows = [
        expert_row(1, fields="ai,eco"),
        expert_row(
            2, province="SC", unit_name="四川测试医院", unit_uscc=SC_UNIT, fields="health", max_load="5"
        ),
        expert_row(3, active="no", title=""),
    ]

    result = import_en(csv_upload(rows), staff)

    assert (result.ok, result.created, result.updated, result.unchanged, result.units_created) == (
        True,
        3,
        0,
        0,
        2,
    )
    first = ReviewerProfile.objects.get(user__email="expert1@example.com")
    assert first.user.role == Role.REVIEWER
    assert first.user.full_name == "专家1"
    assert first.user.password.startswith(UNUSABLE_PASSWORD_PREFIX)
    assert sorted(first.fields.values_list("code", flat=True)) == ["ai", "eco"]
    assert (first.province, first.max_load, first.active, first.title) == ("CQ", 10, True, "教授")
    second = ReviewerProfile.objects.get(user__email="expert2@example.com")
    assert (second.province, second.max_load, second.organization.uscc) == ("SC", 5, SC_UNIT)
    assert ReviewerProfile.objects.get(user__email="expert3@example.com").active is False
    unit = Organization.objects.get(uscc=SC_UNIT)
    assert (unit.name, unit.org_type, unit.registered_province, unit.located_province) == (
        "四川测试医院",
        OrganizationType.OTHER,
        "SC",
        "SC",
    )
    assert unit.is_verified


def test_a_good_xlsx_imports_the_same_as_the_csv(staff):
    rows = [expert_row(1, fields="ai；health"), expert_row(2, province="四川", unit_uscc=SC_UNIT)]

    result = import_en(xlsx_upload(rows), staff)

    assert (result.ok, result.created, result.units_created) == (True, 2, 2)
    assert sorted(
        ReviewerProfile.objects.get(user__email="expert1@example.com").fields.values_list("code", flat=True)
    ) == ["ai", "health"]
    assert ReviewerProfile.objects.get(user__email="expert2@example.com").province == "SC"


def test_numbers_and_booleans_typed_into_a_workbook_are_understood(staff):
    data = xlsx_bytes([HEADER, [*expert_row(1).values()][:7] + [12, False]])

    result = import_en(SimpleUploadedFile("experts.xlsx", data), staff)

    assert result.ok, result.errors
    profile = ReviewerProfile.objects.get()
    assert (profile.max_load, profile.active) == (12, False)


def test_importing_the_same_file_again_changes_nothing(staff, django_capture_on_commit_callbacks):
    rows = [expert_row(1), expert_row(2, fields="agri,eco")]
    with django_capture_on_commit_callbacks(execute=True):
        import_en(csv_upload(rows), staff)
    mail.outbox.clear()
    events = AuditEvent.objects.count()

    with django_capture_on_commit_callbacks(execute=True):
        again = import_en(csv_upload(rows), staff)

    assert (again.ok, again.created, again.updated, again.unchanged, again.units_created) == (
        True,
        0,
        0,
        2,
        0,
    )
    assert ReviewerProfile.objects.count() == 2
    assert mail.outbox == []
    # Only the import itself is recorded the second time.
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)[events:]) == [
        "reviewer.import"
    ]


def test_a_changed_row_updates_the_expert_and_only_that_one(staff):
    import_en(csv_upload([expert_row(1), expert_row(2)]), staff)

    result = import_en(
        csv_upload([expert_row(1, fields="health", max_load="3", full_name="专家一"), expert_row(2)]), staff
    )

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    profile = ReviewerProfile.objects.get(user__email="expert1@example.com")
    assert list(profile.fields.values_list("code", flat=True)) == ["health"]
    assert (profile.max_load, profile.user.full_name) == (3, "专家一")
    update = AuditEvent.objects.get(action="reviewer.update")
    assert update.object_id == str(profile.pk)
    assert sorted(update.data["changed"]) == ["fields", "full_name", "max_load"]


def test_an_existing_expert_is_matched_by_email_whatever_its_case(staff):
    expert = make_expert("CQ", fields=("ai",))
    expert.user.email = "Expert.One@Example.com"
    expert.user.save(update_fields=["email"])

    result = import_en(
        csv_upload([expert_row(1, email="expert.one@example.com", unit_uscc=expert.organization.uscc)]), staff
    )

    assert (result.created, result.updated) == (0, 1)
    assert ReviewerProfile.objects.count() == 1


def test_a_reviewer_account_without_a_profile_gets_one_and_no_invitation(
    staff, django_capture_on_commit_callbacks
):
    UserFactory(email="expert1@example.com", role=Role.REVIEWER)

    with django_capture_on_commit_callbacks(execute=True):
        result = import_en(csv_upload([expert_row(1)]), staff)

    assert result.created == 1
    assert mail.outbox == []


def test_the_example_files_import_cleanly_and_list_the_same_experts(staff):
    csv_file = SimpleUploadedFile("experts.csv", (EXAMPLES / "experts.csv").read_bytes())
    xlsx_file = SimpleUploadedFile("experts.xlsx", (EXAMPLES / "experts.xlsx").read_bytes())
    fields = [
        pool_import.FieldInfo(f.code, f.name_zh, f.name_en)
        for f in ResearchFieldFactory._meta.model.objects.all()
    ]

    from_csv = pool_import.check_rows(pool_import.read_table(csv_file), fields=fields)
    from_xlsx = pool_import.check_rows(pool_import.read_table(xlsx_file), fields=fields)

    assert from_csv.errors == [] and from_xlsx.errors == []
    assert from_csv.rows == from_xlsx.rows
    assert {row.province for row in from_csv.rows} == {"SC", "CQ"}
    csv_file.seek(0)
    assert import_en(csv_file, staff).created == len(from_csv.rows)


# --- Invitations ------------------------------------------------------------------------------


def test_new_experts_are_invited_once_after_commit(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        import_en(csv_upload([expert_row(1), expert_row(2)]), staff)
        # Stored inside the transaction, but nothing leaves before it commits.
        assert OutgoingEmail.objects.filter(kind="reviewer_invitation").count() == 2
        assert mail.outbox == []

    for callback in callbacks:
        callback()
    assert sorted(message.to[0] for message in mail.outbox) == ["expert1@example.com", "expert2@example.com"]


def test_the_invitation_link_lets_the_expert_choose_a_password_and_sign_in(
    client, staff, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        import_en(csv_upload([expert_row(1)]), staff)
    [message] = mail.outbox
    link = re.search(r"https?://\S+/accounts/password/reset/\S+/", message.body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]

    form_page = client.get("/" + path, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "A-long-expert-pass-2021", "new_password2": "A-long-expert-pass-2021"},
    )

    assert response.status_code == 302
    assert client.login(email="expert1@example.com", password="A-long-expert-pass-2021")


def test_a_failed_import_sends_no_invitation(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        import_en(csv_upload([expert_row(1), expert_row(2, unit_uscc="123")]), staff)

    assert mail.outbox == [] and not OutgoingEmail.objects.exists()


def test_the_invitation_is_sent_again_only_while_no_password_is_chosen(
    staff, django_capture_on_commit_callbacks
):
    import_en(csv_upload([expert_row(1)]), staff)
    profile = ReviewerProfile.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        reviewer_invite(profile=profile, by=staff)
    assert [m.to for m in mail.outbox] == [["expert1@example.com"]]
    assert AuditEvent.objects.filter(action="reviewer.invite", object_id=str(profile.pk)).exists()

    profile.user.set_password("chosen-by-the-expert-1")
    profile.user.save()
    with pytest.raises(PoolError) as refused:
        reviewer_invite(profile=profile, by=staff)
    assert refused.value.code == "password_set"


# --- Bad rows: nothing is imported, one error per bad row -------------------------------------


def test_a_duplicate_email_names_both_rows_and_imports_nothing(staff):
    rows = [expert_row(1), expert_row(2), expert_row(3, email="EXPERT1@example.com")]

    result = import_en(csv_upload(rows), staff)

    assert not result.ok
    assert [(error.row, error.field) for error in result.errors] == [(2, "email"), (4, "email")]
    assert all("rows 2, 4" in error.message for error in result.errors)
    assert nothing_imported()
    assert not Organization.objects.exists()


def test_an_unknown_field_code_is_refused_and_the_allowed_codes_are_listed(staff):
    result = import_en(csv_upload([expert_row(1, fields="ai,robots")]), staff)

    [error] = result.errors
    assert (error.row, error.field, error.code) == (2, "fields", "unknown_field")
    assert "robots" in error.message
    for code in ("ai", "health", "eco", "agri"):
        assert code in error.message
    assert nothing_imported()


def test_chinese_field_names_and_any_listed_separator_are_understood(staff):
    result = import_en(csv_upload([expert_row(1, fields="人工智能、大健康|eco; Modern agriculture")]), staff)

    assert result.ok, result.errors
    assert sorted(ReviewerProfile.objects.get().fields.values_list("code", flat=True)) == [
        "agri",
        "ai",
        "eco",
        "health",
    ]


def test_an_invalid_uscc_is_a_row_error_naming_unit_uscc(staff):
    result = import_en(csv_upload([expert_row(1, unit_uscc=bad_check_character(CQ_UNIT))]), staff)

    [error] = result.errors
    assert (error.row, error.field, error.code) == (2, "unit_uscc", "check")
    assert "GB 32100" in error.message
    assert nothing_imported()


def test_a_registered_unit_whose_failing_code_staff_accepted_is_matched(staff):
    failing = bad_check_character(CQ_UNIT)
    unit = OrganizationFactory(uscc=failing, uscc_override_reason="licence as issued")

    result = import_en(csv_upload([expert_row(1, unit_uscc=failing, unit_name=unit.name)]), staff)

    assert result.ok, result.errors
    assert ReviewerProfile.objects.get().organization == unit


def test_the_email_of_an_applicant_account_is_refused(staff):
    applicant = make_applicant(email="pi@example.com")

    result = import_en(csv_upload([expert_row(1, email="pi@example.com")]), staff)

    [error] = result.errors
    assert (error.row, error.field, error.code) == (2, "email", "account_taken")
    assert "belongs to an applicant account" in error.message
    applicant.refresh_from_db()
    assert applicant.role == Role.APPLICANT
    assert nothing_imported()


def test_the_email_of_bureau_staff_is_refused_too(staff):
    result = import_en(csv_upload([expert_row(1, email=staff.email)]), staff)

    assert result.errors[0].code == "account_taken"
    assert "bureau staff" in result.errors[0].message


def test_a_row_with_several_problems_gets_one_error_naming_each_field(staff):
    row = expert_row(
        1, email="not-an-address", province="Beijing", max_load="500", active="maybe", full_name=""
    )

    result = import_en(csv_upload([expert_row(2), row]), staff)

    [error] = result.errors
    assert error.row == 3
    assert [p.field for p in error.problems] == ["email", "full_name", "province", "max_load", "active"]
    assert error.field == "email, full_name, province, max_load, active"
    assert error.code == "invalid_row"
    assert "not a valid email address" in error.message
    assert "use SC or CQ" in error.message
    assert "from 1 to 200" in error.message
    assert nothing_imported()


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("max_load", "0", "invalid"),
        ("max_load", "2.5", "invalid"),
        ("max_load", "ten", "invalid"),
        ("province", "OTHER", "invalid"),
        ("fields", "、", "required"),
        ("email", "a@b", "invalid"),
        ("full_name", "名" * 101, "too_long"),
        ("unit_uscc", "91110000600037341", "length"),
        ("id_number", "110105194912310021", "check"),
        ("phone", "call me", "invalid"),
    ],
)
def test_each_rule_of_a_cell_is_a_row_error_naming_the_column(staff, column, value, code):
    header = [*HEADER, "phone", "id_number"]

    result = import_en(csv_upload([expert_row(1, **{column: value})], header=header), staff)

    [error] = result.errors
    assert [(p.field, p.code) for p in error.problems] == [(column, code)]
    assert nothing_imported()


def test_nul_and_other_control_characters_are_row_errors(staff):
    rows = [expert_row(1, full_name="专家\x00一"), expert_row(2, title="教\x07授")]

    result = import_en(csv_upload(rows), staff)

    assert [(e.row, e.field, e.code) for e in result.errors] == [
        (2, "full_name", "control"),
        (3, "title", "control"),
    ]
    assert "control characters" in result.errors[0].message
    assert nothing_imported()


def test_a_valid_id_number_is_stored_with_its_birth_date(staff):
    header = [*HEADER, "id_number"]

    import_en(csv_upload([expert_row(1, id_number="11010519491231002X")], header=header), staff)

    user = User.objects.get(email="expert1@example.com")
    assert (user.id_type, user.id_number, str(user.birth_date)) == (
        "resident_id",
        "11010519491231002X",
        "1949-12-31",
    )


def test_a_registered_unit_keeps_its_name_and_the_result_says_so(staff):
    unit = OrganizationFactory(uscc=CQ_UNIT, name="重庆正式名称大学")

    result = import_en(csv_upload([expert_row(1, unit_name="重大")]), staff)

    assert result.ok and result.units_created == 0
    assert ReviewerProfile.objects.get().organization == unit
    unit.refresh_from_db()
    assert unit.name == "重庆正式名称大学"
    [note] = result.notes
    assert (note.row, note.field) == (2, "unit_name")
    assert "重庆正式名称大学" in note.message


def test_rows_naming_a_new_unit_differently_use_the_first_name(staff):
    result = import_en(csv_upload([expert_row(1), expert_row(2, unit_name="另一个名字")]), staff)

    assert result.ok and result.units_created == 1
    assert Organization.objects.get(uscc=CQ_UNIT).name == "重庆测试大学"
    assert [(n.row, n.field) for n in result.notes] == [(3, "unit_name")]


# --- Files that are no expert list -----------------------------------------------------------


def test_chinese_headers_and_values_are_understood(staff):
    header = [
        "邮箱",
        "姓名",
        "省份",
        "单位名称",
        "统一社会信用代码",
        "专业领域",
        "职称",
        "最大评审数",
        "是否启用",
    ]
    row = [
        "a@example.com",
        "张三",
        "重庆",
        "重庆测试大学",
        CQ_UNIT,
        "人工智能，现代农业",
        "研究员",
        "8",
        "是",
    ]
    data = ("\ufeff" + ",".join(header) + "\r\n" + ",".join(row) + "\r\n").encode("utf-8")

    result = import_en(SimpleUploadedFile("专家.csv", data), staff)

    assert result.ok, result.errors
    profile = ReviewerProfile.objects.get()
    assert (profile.user.full_name, profile.province, profile.max_load) == ("张三", "CQ", 8)
    assert sorted(profile.fields.values_list("code", flat=True)) == ["agri", "ai"]


def test_a_csv_with_a_byte_order_mark_is_read(staff):
    data = "\ufeff".encode() + csv_bytes([expert_row(1)])

    assert import_en(SimpleUploadedFile("experts.csv", data), staff).created == 1


def test_a_gb18030_csv_is_read(staff):
    result = import_en(csv_upload([expert_row(1, full_name="欧阳娜娜")], encoding="gb18030"), staff)

    assert result.ok
    assert User.objects.get(email="expert1@example.com").full_name == "欧阳娜娜"


def test_unknown_columns_are_ignored_and_reported(staff):
    result = import_en(csv_upload([expert_row(1)], header=[*HEADER, "备注"]), staff)

    assert result.ok and result.ignored_columns == ("备注",)


def test_a_missing_column_is_named(staff):
    header = [column for column in HEADER if column not in ("unit_uscc", "fields")]

    error = file_error(csv_upload([expert_row(1)], header=header), staff)

    assert error.code == "missing_columns"
    assert "unit_uscc" in error.message and "fields" in error.message
    assert nothing_imported()


def test_a_column_given_twice_is_refused(staff):
    error = file_error(csv_upload([expert_row(1)], header=[*HEADER, "邮箱"]), staff)

    assert error.code == "duplicate_column"


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("experts.pdf", b"%PDF-1.7 whatever", "extension"),
        ("experts.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "not_spreadsheet"),
        ("experts.xlsx", b"email,full_name\r\n", "not_xlsx"),
        ("experts.xlsx", b"PK\x03\x04 not really a zip", "not_xlsx"),
        ("experts.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "extension"),
        ("experts.csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls"),
        ("experts.csv", b"\x81\x30\xff\xfe\xfd\x80\x80", "encoding"),
    ],
)
def test_a_file_that_is_not_an_expert_list_is_refused_as_a_whole(staff, name, data, code):
    assert file_error(SimpleUploadedFile(name, data), staff).code == code
    assert nothing_imported()


def test_a_zip_that_is_not_a_workbook_is_refused(staff):
    out = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")

    assert file_error(SimpleUploadedFile("experts.xlsx", out.getvalue()), staff).code == "not_xlsx"


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "empty"), (b"\r\n \r\n", "empty"), (",".join(HEADER).encode() + b"\r\n", "no_rows")],
)
def test_an_empty_file_is_refused(staff, data, code):
    assert file_error(SimpleUploadedFile("experts.csv", data), staff).code == code


def test_an_empty_workbook_is_refused(staff):
    assert file_error(SimpleUploadedFile("experts.xlsx", xlsx_bytes([])), staff).code == "empty"


def test_too_many_rows_are_refused(staff):
    rows = [expert_row(n) for n in range(pool_import.MAX_ROWS + 1)]

    error = file_error(csv_upload(rows), staff)

    assert error.code == "too_many_rows"
    assert "5000" in error.message
    assert nothing_imported()


def test_a_file_over_five_megabytes_is_refused(staff):
    data = csv_bytes([expert_row(1)]) + b" " * pool_import.MAX_BYTES

    assert file_error(SimpleUploadedFile("experts.csv", data), staff).code == "too_large"


# --- Who may -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.UNIT_ADMIN, Role.REVIEWER])
def test_only_review_staff_may_import(role):
    with pytest.raises(PermissionDenied):
        reviewers_import(upload=csv_upload([expert_row(1)]), by=UserFactory(role=role))
    assert nothing_imported()


def test_an_administrator_may_import():
    admin = UserFactory(role=Role.ADMIN)

    assert import_en(csv_upload([expert_row(1)]), admin).created == 1


# --- Switching experts on and off -------------------------------------------------------------


def test_switching_an_expert_off_and_on_is_audited_once_per_change(staff):
    expert = make_expert("SC")

    reviewer_set_active(profile=expert, active=False, by=staff)
    reviewer_set_active(profile=expert, active=False, by=staff)
    assert expert.active is False
    reviewer_set_active(profile=expert, active=True, by=staff)

    events = AuditEvent.objects.filter(object_id=str(expert.pk), action__startswith="reviewer.").order_by(
        "id"
    )
    assert [(e.action, e.from_state, e.to_state) for e in events] == [
        ("reviewer.deactivate", "active", "inactive"),
        ("reviewer.activate", "inactive", "active"),
    ]


def test_only_review_staff_switch_experts(staff):
    expert = make_expert("SC")

    with pytest.raises(PermissionDenied):
        reviewer_set_active(profile=expert, active=False, by=expert.user)
    expert.refresh_from_db()
    assert expert.active


# --- Any upload: a table or a refusal, never a crash ---------------------------------------------

FIELDS = [pool_import.FieldInfo("ai", "人工智能", "Artificial intelligence")]


@settings_hypothesis(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.lists(st.lists(st.text(max_size=12), max_size=8), max_size=6).map(
            lambda rows: "\n".join(",".join(cells) for cells in [HEADER, *rows]).encode("utf-8")
        ),
    ),
    name=st.sampled_from(["experts.csv", "experts.xlsx"]),
)
def test_any_upload_gives_rows_with_errors_or_a_refusal_never_a_crash(data, name):
    try:
        table = pool_import.read_table(SimpleUploadedFile(name, data))
    except ImportFileError as error:
        assert error.code and error.message
        return
    sheet = pool_import.check_rows(table, fields=FIELDS)
    assert len(sheet.rows) == len(table.rows)
    for error in sheet.errors:
        assert error.problems and error.row >= 2
