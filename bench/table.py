"""The rows of ``make bench`` and how they are printed."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    name: str
    figure: str
    target: str
    ratio: float | None
    met: bool


def print_table(rows: list[Row]) -> None:
    header = ("benchmark", "figure", "target", "ratio", "met")
    lines = [
        (
            row.name,
            row.figure,
            row.target,
            "" if row.ratio is None else f"{row.ratio:.2f}",
            "yes" if row.met else "NO",
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    for line in (header, tuple("-" * w for w in widths), *lines):
        print("  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)))
