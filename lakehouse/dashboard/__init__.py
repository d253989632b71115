"""`lakehouse dashboard`: the Streamlit app (app.py) over the lake and the warehouse."""

from __future__ import annotations

import sys
from pathlib import Path

from lakehouse.kafka.broker import port_open
from lakehouse.settings import Settings

APP = Path(__file__).with_name("app.py")


class DashboardError(Exception):
    """The dashboard cannot start as configured; the message says what to change."""


def dashboard_address(settings: Settings, port: int | None = None) -> tuple[str, int]:
    """Host and port the dashboard listens on; raise when something else holds the port."""
    host = settings.dashboard.host
    chosen = port or settings.dashboard.port
    if port_open(host, chosen):
        raise DashboardError(
            f"port {chosen} on {host} is already in use: choose another with --port, or "
            "dashboard.port (LAKEHOUSE__DASHBOARD__PORT)"
        )
    return host, chosen


def streamlit_command(host: str, port: int) -> list[str]:
    """`streamlit run app.py` headless on host:port, without usage statistics."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.address",
        host,
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--client.toolbarMode",
        "viewer",
        "--theme.base",
        "light",
    ]
