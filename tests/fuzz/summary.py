"""A pytest plugin that prints the fuzz's counts (tests/fuzz/counts.py) at the end of the run,
summed over the xdist workers.

tests/fuzz/conftest.py registers it when the fuzz's directory is collected in this process.
Under xdist the controller collects nothing: for the counts of a ``pytest -n 2 tests`` run it
must be registered at start-up (``pytest_plugins = ["tests.fuzz.summary"]`` in tests/conftest.py,
or ``-p tests.fuzz.summary``). It imports nothing of Django.
"""

import pytest

from tests.fuzz import counts


def pytest_sessionfinish(session: pytest.Session) -> None:
    # Under xdist each worker hands its counts to the controller (see pytest_testnodedown).
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["fuzz_counts"] = counts.dump()


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node, error) -> None:
    counts.merge(getattr(node, "workeroutput", {}).get("fuzz_counts"))


def pytest_terminal_summary(terminalreporter) -> None:
    # With -v, the answers per operation too.
    text = counts.summary(detailed=terminalreporter.config.option.verbose > 0)
    if text:
        terminalreporter.write_sep("-", "API fuzz")
        terminalreporter.write_line(text)
