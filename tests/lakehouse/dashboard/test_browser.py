"""`lakehouse dashboard` served for real and opened in headless Chromium: the page's text,
its charts, and a screenshot that is not blank (the README's picture, when asked for)."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from lakehouse.sandbox import free_port
from lakehouse.settings import PROJECT_ROOT
from tests.lakehouse.dashboard.chromium import Page, headless_page
from tests.lakehouse.dashboard.test_app import HEADERS
from tests.small_run import BAD_RECORDS, SmallRun

LAKEHOUSE = str(Path(sys.executable).parent / "lakehouse")
# The README's picture changes only when asked: LAKEHOUSE_UPDATE_SCREENSHOT=1 writes the
# screenshot there; otherwise it goes to the test's temporary folder.
README_SCREENSHOT = PROJECT_ROOT / "docs" / "images" / "dashboard.png"
UPDATE_SCREENSHOT = "LAKEHOUSE_UPDATE_SCREENSHOT"
WIDTH, HEIGHT = 1400, 2200
CHARTS = "[data-testid='stVegaLiteChart'] canvas, [data-testid='stVegaLiteChart'] svg"


def wait_for_health(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    """Until Streamlit answers its health endpoint (or the server dies)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, f"the dashboard exited:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(f"http://localhost:{port}/_stcore/health") as answer:
                if answer.read() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.5)
    raise AssertionError(f"the dashboard did not answer on port {port}:\n{log.read_text()}")


@pytest.fixture
def served(small_run: SmallRun, tmp_path: Path) -> Iterator[int]:
    """`lakehouse dashboard` on a free port over the small run; stopped afterwards."""
    port = free_port()
    log = tmp_path / "dashboard.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [LAKEHOUSE, "dashboard", "--port", str(port)],
            env={**os.environ, **small_run.environment},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_health(port, server, log)
        assert f"Dashboard on http://localhost:{port}" in log.read_text()
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def rendered(page: Page) -> bool:
    """Every section's heading, the health verdict and both charts are on the page."""
    text = page.evaluate("document.body.innerText") or ""
    charts = page.evaluate(f'document.querySelectorAll("{CHARTS}").length') or 0
    running = page.evaluate('document.querySelector("[data-testid=stStatusWidget]") !== null')
    verdict = any(f"{level}: " in text for level in ("OK", "WARN", "FAIL"))
    return all(header in text for header in HEADERS) and verdict and charts >= 2 and not running


@pytest.mark.integration
def test_the_served_dashboard_renders_in_chromium(
    served: int, small_run: SmallRun, tmp_path: Path
) -> None:
    with headless_page(tmp_path / "chromium", WIDTH, HEIGHT) as page:
        page.call("Page.navigate", url=f"http://localhost:{served}/")
        page.wait_until(rendered, timeout_seconds=90)
        text = page.evaluate("document.body.innerText")
        png = page.screenshot()
    assert "Lakehouse: what is being played" in text
    assert f"{small_run.ingested_events:,}" in text
    assert "WARN: quarantine WARN" in text
    assert f"Quarantined\n\n{len(BAD_RECORDS)}" in text

    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    # Not blank: many colours (text, tables, bars), and a good part of the page not white.
    colours = image.getcolors(maxcolors=WIDTH * HEIGHT) or []
    assert len(colours) > 200
    painted = sum(count for count, colour in colours if min(colour) < 240)
    assert painted > 0.03 * WIDTH * HEIGHT
    screenshot = (
        README_SCREENSHOT
        if os.environ.get(UPDATE_SCREENSHOT) == "1"
        else tmp_path / "dashboard.png"
    )
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.write_bytes(png)


def test_a_port_in_use_is_reported_with_the_setting_to_change(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("localhost", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        result = subprocess.run(
            [LAKEHOUSE, "dashboard", "--port", str(port)],
            env={**os.environ, "LAKEHOUSE__STATE_DIR": str(tmp_path)},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode == 1
    assert f"port {port} on localhost is already in use" in result.stderr
    assert "LAKEHOUSE__DASHBOARD__PORT" in result.stderr
