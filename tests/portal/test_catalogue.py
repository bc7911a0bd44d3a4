"""The Chinese catalogue is complete: every entry translated, none fuzzy, placeholders kept."""

import re
from pathlib import Path

from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{\w+\}")


def entries():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    for message in catalogue:
        if message.id:
            source = message.id if isinstance(message.id, str) else message.id[0]
            target = message.string if isinstance(message.string, str) else message.string[0]
            yield message, source, target


def test_every_entry_is_translated_and_none_is_fuzzy():
    missing = [source for message, source, target in entries() if not target or message.fuzzy]
    assert missing == []


def test_every_placeholder_survives_translation():
    broken = [
        source
        for _message, source, target in entries()
        if sorted(PLACEHOLDER.findall(source)) != sorted(PLACEHOLDER.findall(target))
    ]
    assert broken == []
