"""Demo data of the reviews app for the 2021 call: its score rubric. ``manage.py seed_demo``
runs it after ``applications.demo.seed``; later issues add reviewers' profiles, assignments,
reviews and awards here as further small ``seed_*`` functions."""

from typing import TextIO

from django.db import transaction
from django.utils.translation import gettext as _

from applications import demo as applications_demo
from applications.models import FundingCall
from reviews.models import Criterion
from reviews.services.rubric import criteria_copy_default


def seed_rubric(call: FundingCall) -> list[Criterion]:
    # No actor: the demo is loaded by a command, not by a person.
    return criteria_copy_default(call=call, by=None)


def seed(stdout: TextIO) -> None:
    with transaction.atomic():
        call = applications_demo.demo_call()
        criteria = seed_rubric(call)
    total = format(sum(criterion.weight for criterion in criteria).normalize(), "f")
    stdout.write(
        _("Score rubric: %(count)d criteria, %(total)s points.") % {"count": len(criteria), "total": total}
        + "\n"
    )
