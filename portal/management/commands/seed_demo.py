"""``manage.py seed_demo``: load the demo of the 2021 joint call and print the demo logins.

``make run`` runs it on every start and relies on its output for the logins, so it is
idempotent (a second run finds every row by its natural key). It refuses to run with
production settings unless forced: the demo accounts share one published password.
"""

import unicodedata
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from applications import demo as applications_demo
from reviews import demo as reviews_demo
from reviews import demo_awards


def _width(text: str) -> int:
    """Columns a text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load the demo data of the 2021 Sichuan–Chongqing joint call and print the demo logins."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with production settings (DEBUG off). The demo logins share a published password.",
        )
        parser.add_argument(
            "--without-applications",
            action="store_true",
            help="Only the call, units and logins: no demo applications (faster; used by the browser tests).",
        )
        parser.add_argument(
            "--until-review",
            action="store_true",
            help="Stop after the expert review: no awards, announcement or notices (to decide through the pages).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                _(
                    "seed_demo refuses to run with production settings (DJANGO_DEBUG=0): it creates "
                    "accounts whose password is published. Use --force if this really is a demo site."
                )
            )
        with transaction.atomic():
            applications_demo.seed(self.stdout, applications=not options["without_applications"])
            reviews_demo.seed(self.stdout)
        if not options["until_review"] and not options["without_applications"]:
            # Its own transactions: the notices are built after the awards are committed.
            demo_awards.seed(self.stdout)
        self.print_logins()

    def print_logins(self) -> None:
        rows = [
            [login.email, login.role, login.province or "—", login.password]
            for login in applications_demo.demo_logins()
        ]
        # A context of their own, so that Django's catalogue does not translate half of the header.
        header = [
            pgettext("demo logins", "Email"),
            pgettext("demo logins", "Role"),
            pgettext("demo logins", "Province"),
            pgettext("demo logins", "Password"),
        ]
        table = format_table(header, rows)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("Demo logins:")))
        self.stdout.write(table)
        self.stdout.write("")
        self.stdout.write(_("Open the portal at %(url)s") % {"url": f"{settings.PORTAL_BASE_URL}/"})
