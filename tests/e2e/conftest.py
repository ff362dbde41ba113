"""Shared pieces of the browser tests: a real ``streamlit run`` on a free loopback port and the
Chromium settings known to work in a container (no sandbox, no GPU, no /dev/shm)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


SERVER_PIDS: dict[str, int] = {}  # URL -> process id of the server (to watch its memory)


def streamlit_server(page: str = "app.py", env: dict[str, str] | None = None) -> Iterator[str]:
    """Start ``streamlit run page`` on 127.0.0.1, wait for its health check, yield its URL.
    ``env`` adds environment variables for the server."""
    port = free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", page, "--server.headless", "true",
           "--server.address", "127.0.0.1", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, **(env or {})})
    url = f"http://127.0.0.1:{port}"
    SERVER_PIDS[url] = proc.pid
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("streamlit did not start: " + proc.stderr.read(2000).decode())
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    """The app itself, served once for every browser test of a test process (with xdist, one
    per worker), so its run cache stays warm from one test module to the next."""
    yield from streamlit_server("app.py")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One headless Chromium for the tests of a module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()
