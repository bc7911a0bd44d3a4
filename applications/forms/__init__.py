"""Forms of the section pages of an application (``applications/views/sections.py``).

The forms check little on their own. What a person typed goes, as plain strings, to
``applications.services.application_save``, which checks it with the models' rules (the
same rules the API applies) and answers errors by path (``team[2].id_number``); an
*editor* here turns its form into that data and puts each error back next to its field.
Two things are checked here because the service never sees them as typed: the budget's
amounts in 万元 (the service takes yuan) and a registered partner typed by code or name.

Row sections (partners, team, indicators, milestones, experts to avoid) are formsets that work without
script: the stored rows, two empty rows (ignored while empty) and a "remove" box per row.
"""

from typing import Any

from applications.forms.budget import BudgetEditor
from applications.forms.common import EXTRA_ROWS, ErrorItem
from applications.forms.rows import (
    AvoidedExpertsEditor,
    IndicatorsEditor,
    MilestonesEditor,
    PartnersEditor,
    TeamEditor,
)
from applications.forms.scalars import BasicsForm, ContentForm, ScalarEditor
from applications.models import Application

__all__ = ["EXTRA_ROWS", "ErrorItem", "editor_for"]

EDITORS: dict[str, Any] = {
    "basics": lambda application, data, extra: ScalarEditor(BasicsForm, application, data),
    "content": lambda application, data, extra: ScalarEditor(ContentForm, application, data),
    "partners": PartnersEditor,
    "team": TeamEditor,
    "indicators": IndicatorsEditor,
    "milestones": MilestonesEditor,
    "budget": BudgetEditor,
    "avoid": AvoidedExpertsEditor,
}


def editor_for(section: str, application: Application, data: Any = None, extra: int = EXTRA_ROWS) -> Any:
    """The editor of a form section (None for attachments and the commitment)."""
    make = EDITORS.get(section)
    return make(application, data, extra) if make else None
