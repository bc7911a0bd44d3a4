"""What WeasyPrint needs from the system to print Chinese, and what to install when it is missing.

Used by the system check, by ``manage.py check_pdf`` (run by ``make run``/``make test``)
and by the worker at start.
"""

import ctypes.util
import shutil
import subprocess
from dataclasses import dataclass

# Debian package names; the Dockerfile and the Makefile install these.
DEBIAN_PACKAGES = ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "fonts-noto-cjk")
CJK_FONT_FAMILY = "Noto Sans CJK SC"
CJK_SERIF_FAMILY = "Noto Serif CJK SC"


@dataclass(frozen=True)
class Problem:
    message: str
    hint: str


def _install_hint(package: str) -> str:
    return f"Install it: apt-get install {package}  (all PDF packages: apt-get install {' '.join(DEBIAN_PACKAGES)})"


def cjk_fonts() -> list[str]:
    """Font families that cover Chinese, as fontconfig sees them."""
    if not shutil.which("fc-list"):
        return []
    out = subprocess.run(  # noqa: S603 — fixed arguments, no user input
        [shutil.which("fc-list") or "fc-list", ":lang=zh", "family"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    ).stdout
    return sorted({name.strip() for line in out.splitlines() for name in line.split(",") if name.strip()})


def problems() -> list[Problem]:
    found: list[Problem] = []
    try:
        import weasyprint  # noqa: F401
    except OSError as error:
        found.append(
            Problem(
                f"WeasyPrint cannot load Pango: {error}", _install_hint("libpango-1.0-0 libpangoft2-1.0-0")
            )
        )
    if not ctypes.util.find_library("harfbuzz-subset"):
        found.append(
            Problem(
                "HarfBuzz's subsetting library is missing: every PDF would take about 20 s.",
                _install_hint("libharfbuzz-subset0"),
            )
        )
    if CJK_FONT_FAMILY not in cjk_fonts():
        found.append(
            Problem(
                f"The CJK font {CJK_FONT_FAMILY} is missing: Chinese text prints as boxes.",
                _install_hint("fonts-noto-cjk"),
            )
        )
    return found
