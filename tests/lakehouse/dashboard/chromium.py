"""A real headless Chromium (the Debian package), driven over the DevTools protocol.

`chromium --screenshot` takes its picture at the load event, before a Streamlit page has
received its content over the websocket; the DevTools protocol lets the test wait for the
page's text and charts, then take the screenshot of what it checked.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking")
START_TIMEOUT_SECONDS = 30


class Page:
    """One browser tab: navigate, evaluate JavaScript, take a screenshot."""

    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection
        self.ids = itertools.count(1)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and return its result (events in between are skipped)."""
        command_id = next(self.ids)
        self.connection.send(json.dumps({"id": command_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.connection.recv(timeout=60))
            if message.get("id") == command_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result

    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result["result"].get("value")

    def wait_until(self, ready: Callable[[Page], bool], timeout_seconds: float) -> None:
        """Poll until `ready(page)`; fail with the page's text when it never is."""
        deadline = time.monotonic() + timeout_seconds
        while not ready(self):
            if time.monotonic() > deadline:
                text = self.evaluate("document.body.innerText")
                raise AssertionError(f"the page was not ready in {timeout_seconds}s:\n{text}")
            time.sleep(0.5)

    def screenshot(self) -> bytes:
        """A PNG of the viewport."""
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])


def chromium_binary() -> str:
    """The Debian package's browser; set-up installs it."""
    found = shutil.which("chromium")
    assert found, "chromium is not installed: run scripts/setup.sh (apt-get install chromium)"
    return found


@contextmanager
def headless_page(profile: Path, width: int, height: int) -> Iterator[Page]:
    """A headless Chromium with one blank tab of width x height, stopped afterwards."""
    command = [
        chromium_binary(),
        *FLAGS,
        "--remote-debugging-port=0",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
        "--hide-scrollbars",
        "about:blank",
    ]
    browser = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # Chromium writes the port it chose (and the browser's path) once it listens.
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not port_file.is_file() or not port_file.read_text().strip():
            assert browser.poll() is None, f"chromium exited with code {browser.returncode}"
            assert time.monotonic() < deadline, "chromium did not start its DevTools server"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            targets = json.load(answer)
        address = next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page")
        with connect(address, max_size=64 * 1024 * 1024) as connection:
            page = Page(connection)
            # The window includes the browser's own frame: fix the page's viewport itself.
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=height,
                deviceScaleFactor=1,
                mobile=False,
            )
            yield page
    finally:
        browser.terminate()
        browser.wait(timeout=30)
