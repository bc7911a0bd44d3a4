"""System checks: WeasyPrint needs Pango, a CJK font and HarfBuzz's subsetter to print Chinese."""

from django.core.checks import Warning as CheckWarning
from django.core.checks import register

from portal import pdf_environment


@register()
def pdf_environment_check(app_configs, **kwargs):  # noqa: ANN001, ANN003, ANN201
    return [
        CheckWarning(problem.message, hint=problem.hint, id=f"portal.W{index:03d}")
        for index, problem in enumerate(pdf_environment.problems(), start=1)
    ]
