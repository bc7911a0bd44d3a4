"""Every write of the applicant's side: calls (``calls``) and applications (``applications``)."""

from applications.services.applications import (
    ApplicationError,
    NotEditable,
    SaveResult,
    StaleDraft,
    SubmissionRefused,
    application_commit,
    application_create,
    application_move,
    application_save,
    application_submit,
    attachment_upload,
)
from applications.services.calls import GUIDE_JOB, call_guide_render, call_guide_request, guide_html

__all__ = [
    "GUIDE_JOB",
    "ApplicationError",
    "NotEditable",
    "SaveResult",
    "StaleDraft",
    "SubmissionRefused",
    "application_commit",
    "application_create",
    "application_move",
    "application_save",
    "application_submit",
    "attachment_upload",
    "call_guide_render",
    "call_guide_request",
    "guide_html",
]
