"""The public page a printed application's QR code opens: does this fingerprint belong to an
application submitted on the portal?

No sign-in: anyone holding the paper can check it. The page shows only what identifies the
submission (reference, title, lead unit, time, number, fingerprint) — never the content —
and reads it from the frozen snapshot, which is what the paper shows. An unknown code is a
404 like any other missing page.
"""

import re

from django.db.models import Max
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from applications.models import Submission

# Codes are issued as upper-case hex (``secrets.token_hex(8).upper()``); people may type them
# in lower case or with spaces.
CODE = re.compile(r"[0-9A-F]{8,32}")


@require_GET
def verify(request: HttpRequest, code: str) -> HttpResponse:
    normalized = re.sub(r"[\s-]", "", code).upper()
    submission = None
    if CODE.fullmatch(normalized):
        submission = (
            Submission.objects.filter(verification_code=normalized)
            .only("application_id", "number", "document", "sha256", "verification_code", "submitted_at")
            .first()
        )
    if submission is None:
        raise Http404(_("There is no submitted application with this verification code."))
    latest = Submission.objects.filter(application_id=submission.application_id).aggregate(n=Max("number"))[
        "n"
    ]
    document = submission.document or {}
    context = {
        "submission": submission,
        "reference": document.get("reference", ""),
        "title": document.get("title", ""),
        "lead_unit": (document.get("lead_unit") or {}).get("name", ""),
        "superseded_by": latest if latest and latest > submission.number else None,
    }
    response = render(request, "applications/verify.html", context)
    # The page names an application: keep it out of search engines and shared caches.
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "private, max-age=0"
    return response
