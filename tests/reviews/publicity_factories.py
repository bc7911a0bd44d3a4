"""An announcement with approved awards, and objections, for the tests of the publicity."""

from datetime import timedelta
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from reviews.models import Award, Objection, Publicity
from reviews.services.publicity import beijing_today, objection_file, publicity_start
from tests.factories import FundingCallFactory
from tests.reviews.award_factories import make_award
from tests.reviews.factories import make_staff

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

VALID = {
    "name": "李明",
    "unit": "成都某科技有限公司",
    "phone": "138 1234 5678",
    "email": "liming@example.test",
    "text": "该项目的合作单位与申报材料所述不符。",
}
# 成都某科技 contains 某 but is a unit, not a name: only names are checked for placeholders.


def pdf_upload(name: str = "evidence.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def announced_call(
    awards: int = 2, *, started_days_ago: int = 0, **call_fields
) -> tuple[Publicity, list[Award]]:
    """A call whose ``awards`` approved awards are announced from ``started_days_ago`` days ago
    (0: today, so the window is open now)."""
    call = FundingCallFactory(**call_fields)
    made = [
        make_award(
            call,
            title=f"公示项目{i + 1}",
            quota=max(awards, 10),
            amount_sc=Decimal("300000"),
            amount_cq=Decimal("200000"),
        )
        for i in range(awards)
    ]
    start = beijing_today() - timedelta(days=started_days_ago)
    publicity = publicity_start(call=call, start_date=start, by=make_staff("SC"), today=start)
    for award in made:
        award.refresh_from_db()
    return publicity, made


def file_objection(publicity: Publicity, award: Award, **changes) -> Objection:
    return objection_file(publicity=publicity, award=award, **{**VALID, **changes})
