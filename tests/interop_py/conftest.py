"""Shared fixtures: one real `quire serve` per test module and a logged-in
owner. The server's log path and tail are printed when a test failed."""

from __future__ import annotations

import secrets

import pytest

from quire_server import QuireServer

_servers: list[QuireServer] = []


@pytest.fixture(scope="module")
def server():
    srv = QuireServer().start()
    _servers.append(srv)
    yield srv
    srv.stop()


@pytest.fixture
def owner(server) -> str:
    """A fresh user's session token."""
    return server.user("py" + secrets.token_hex(4))


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if exitstatus != 0:
        for srv in _servers:
            terminalreporter.write_line(f"--- quire log ({srv.log_path}), tail:")
            terminalreporter.write_line(srv.log_tail())


def pytest_unconfigure(config):
    # Keep the server logs when something failed, otherwise remove them.
    if getattr(config, "_interop_failed", False):
        return
    for srv in _servers:
        srv.cleanup()


def pytest_sessionfinish(session, exitstatus):
    session.config._interop_failed = exitstatus != 0
