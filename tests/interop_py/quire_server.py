"""Spawns the real `quire` binary on a throw-away SQLite database and talks
to its REST API (registration, documents, content, versions).

Every server started here is killed when the Python process exits, so a
failing or interrupted run never leaves one behind.
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]
QUIRE_BIN = Path(os.environ.get("QUIRE_BIN") or REPO_ROOT / "target" / "debug" / "quire").resolve()
PASSWORD = "correct horse battery staple"

_live: set[subprocess.Popen] = set()


@atexit.register
def _kill_leftovers() -> None:
    for proc in list(_live):
        try:
            proc.kill()
        except OSError:
            pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiError(AssertionError):
    """A REST call answered with a status other than the expected one."""


class QuireServer:
    """One `quire serve` process on its own SQLite file and port."""

    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="quire-interop-py-"))
        self.db_url = f"sqlite://{self.dir / 'q.db'}?mode=rwc"
        self.log_path = self.dir / "server.log"
        self.port = 0
        self.proc: subprocess.Popen | None = None
        self.http: httpx.Client | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws_url(self, doc_id: str, token: str) -> str:
        # y-websocket style: the room name (document id) is appended to the
        # base URL; the server authenticates the `token` query parameter.
        return f"ws://127.0.0.1:{self.port}/ws/doc/{doc_id}?token={quote(token)}"

    def start(self, timeout: float = 60.0) -> QuireServer:
        if not QUIRE_BIN.exists():
            raise RuntimeError(
                f"quire binary not found at {QUIRE_BIN} (build it with cargo build --bin quire, or set QUIRE_BIN)"
            )
        self.port = _free_port()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/tmp"),
            "RUST_LOG": os.environ.get("QUIRE_LOG", "warn"),
            "DATABASE_URL": self.db_url,
            "BIND_ADDR": f"127.0.0.1:{self.port}",
            "JWT_SECRET": "interop-py-secret-" + secrets.token_hex(24),
            "GROUP_COMMIT_MS": "5",
        }
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [str(QUIRE_BIN), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        _live.add(self.proc)
        self.http = httpx.Client(base_url=self.base, timeout=15.0)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"quire exited during start-up ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if self.http.get("/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"quire was not ready within {timeout} s:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self, grace: float = 5.0) -> None:
        if self.http is not None:
            self.http.close()
            self.http = None
        proc, self.proc = self.proc, None
        if proc is None:
            return
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        _live.discard(proc)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def log_tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    # ---- REST helpers -------------------------------------------------

    def api(self, method: str, path: str, *, token: str | None = None, json=None, expect: int | None = None):
        assert self.http is not None, "server not started"
        headers = {"authorization": f"Bearer {token}"} if token else {}
        res = self.http.request(method, path, headers=headers, json=json)
        if expect is not None and res.status_code != expect:
            raise ApiError(f"{method} {path}: expected {expect}, got {res.status_code}: {res.text}")
        return res

    def user(self, username: str) -> str:
        """Registers and logs in `username`; returns the session token."""
        self.api(
            "POST",
            "/api/auth/register",
            json={"username": username, "email": f"{username}@example.com", "password": PASSWORD},
            expect=201,
        )
        login = self.api("POST", "/api/auth/login", json={"username": username, "password": PASSWORD}, expect=200)
        token = login.json().get("token")
        if not token:
            raise ApiError(f"login gave no token: {login.text}")
        return token

    def create_document(self, token: str, **fields) -> str:
        """Creates a document; returns its id."""
        res = self.api("POST", "/api/documents", token=token, json={"title": "interop-py", **fields}, expect=201)
        return res.json()["id"]

    def content(self, token: str, doc_id: str, fmt: str = "text") -> str:
        res = self.api("GET", f"/api/documents/{doc_id}/content?format={fmt}", token=token, expect=200)
        body = res.json()
        if body.get("format") != fmt:
            raise ApiError(f"content format mismatch: {res.text}")
        return body["content"]

    def state(self, token: str, doc_id: str) -> bytes:
        """The whole document state as a Yjs v1 update."""
        return self.api("GET", f"/api/documents/{doc_id}/state", token=token, expect=200).content

    def post_update(self, token: str, doc_id: str, update: bytes) -> None:
        """Applies a binary Yjs v1 update over HTTP."""
        assert self.http is not None, "server not started"
        res = self.http.post(
            f"/api/documents/{doc_id}/updates",
            headers={"authorization": f"Bearer {token}", "content-type": "application/octet-stream"},
            content=update,
        )
        if res.status_code != 200:
            raise ApiError(f"post update: {res.status_code}: {res.text}")

    def save_version(self, token: str, doc_id: str, label: str) -> int:
        res = self.api("POST", f"/api/documents/{doc_id}/versions", token=token, json={"label": label})
        if res.status_code not in (200, 201):
            raise ApiError(f"save version: {res.status_code}: {res.text}")
        return res.json()["number"]

    def restore(self, token: str, doc_id: str, number: int) -> None:
        res = self.api("POST", f"/api/documents/{doc_id}/restore/{number}", token=token)
        if res.status_code not in (200, 201):
            raise ApiError(f"restore: {res.status_code}: {res.text}")
