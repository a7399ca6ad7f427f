"""`salespipe serve` starts a real application server on a fresh data directory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_migrates_a_fresh_home_and_answers_over_http_with_gunicorn(tmp_path: Path) -> None:
    # given a fresh data directory and no database configured
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env["SALESPIPE_HOME"] = str(tmp_path)
    salespipe = Path(sys.executable).parent / "salespipe"

    # when the server starts
    server = subprocess.Popen(
        [str(salespipe), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        response = None
        deadline = time.monotonic() + 60
        while response is None and time.monotonic() < deadline and server.poll() is None:
            try:
                response = urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=5)
            except OSError:
                time.sleep(0.2)

        # then it answers with the API schema, from gunicorn, with the database in the home
        assert response is not None, "the server did not answer within 60 s"
        assert response.status == 200
        assert "gunicorn" in response.headers.get("Server", "")
        assert (tmp_path / "salespipe.sqlite3").exists()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    assert f"running at http://127.0.0.1:{port}/" in output
