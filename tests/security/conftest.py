"""The security suite's session-wide reporting."""

import os

import pytest


def _fuzz_requests() -> int | None:
    import sys

    module = sys.modules.get("tests.security.test_schema_fuzz")
    return None if module is None else module.SENT["requests"]


def pytest_terminal_summary(terminalreporter):
    sent = _fuzz_requests()
    if sent:
        terminalreporter.write_line(f"schema fuzzing: {sent} generated requests sent")


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    """With AGORA_FUZZ_MIN_REQUESTS set (CI), a fuzzing run that sent fewer fails."""
    sent = _fuzz_requests()
    wanted = int(os.environ.get("AGORA_FUZZ_MIN_REQUESTS", "0"))
    if sent is not None and sent < wanted:
        session.config.get_terminal_writer().line(
            f"schema fuzzing sent {sent} requests, fewer than AGORA_FUZZ_MIN_REQUESTS={wanted}",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
