"""``sp-analytics serve`` as a user runs it: a real process, a real port, the printed login."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.test_dashboard_http import log_in


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(tmp_path: Path, *args: str, **env: str) -> Iterator[tuple[str, Path]]:
    port = _free_port()
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "systemprompt_analytics", "serve", "--port", str(port),
               "--database-url", f"sqlite:///{tmp_path / 'a.db'}", *args]  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SP_ANALYTICS_")}
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**clean, "SP_ANALYTICS_DATA_DIR": str(tmp_path / "data"), **env},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base}/healthz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
            yield base, log
        finally:
            process.terminate()
            process.wait(timeout=60)


def test_serve_without_credentials_prints_a_one_off_password_that_logs_in(tmp_path: Path) -> None:
    with serve(tmp_path) as (base, log):
        found = re.search(r"one-off password (\S+)", log.read_text())
        assert found, log.read_text()
        with httpx.Client(base_url=base) as client:
            assert log_in(client, "not-it").status_code == 403
            response = log_in(client, found.group(1))
            assert response.status_code == 303
            assert client.get("/").status_code == 200
    assert found.group(1) not in (tmp_path / "a.db").read_bytes().decode("latin-1")


def test_serve_with_a_token_prints_no_password_and_protects_the_api(tmp_path: Path) -> None:
    with serve(tmp_path, SP_ANALYTICS_API_TOKEN="tok-123456") as (base, log):
        assert "one-off password" not in log.read_text()
        assert httpx.get(f"{base}/metrics").status_code == 401
        ok = httpx.get(f"{base}/metrics", headers={"authorization": "Bearer tok-123456"})
        assert ok.status_code == 200
