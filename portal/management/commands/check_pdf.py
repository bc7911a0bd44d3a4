"""``manage.py check_pdf``: says what WeasyPrint lacks to print Chinese, or that all is there."""

from django.core.management.base import BaseCommand

from portal import pdf_environment


class Command(BaseCommand):
    help = "Check that WeasyPrint can print Chinese (Pango, HarfBuzz subsetting, a CJK font)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--strict", action="store_true", help="Exit non-zero when something is missing.")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        problems = pdf_environment.problems()
        for problem in problems:
            self.stderr.write(self.style.WARNING(f"PDF: {problem.message}\n     {problem.hint}"))
        if not problems:
            self.stdout.write(
                self.style.SUCCESS("PDF: WeasyPrint, Pango, HarfBuzz subsetting and Noto CJK are ready.")
            )
        elif options["strict"]:
            raise SystemExit(1)
