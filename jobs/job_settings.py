"""What every job does first: read `--env`/`--conf-dir` and load the settings they name."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lakehouse.config import ConfigError, load_settings
from lakehouse.settings import Settings
from transformations.bronze import ValidationRules

EXIT_BAD_CONFIG = 2


def job_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """An argument parser with the options every job takes after its file on spark-submit."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--env", help="environment: conf/<env>.yaml (default: LAKEHOUSE_ENV)")
    parser.add_argument("--conf-dir", type=Path, help="folder holding base.yaml (default: conf/)")
    return parser


def load_job_settings(args: argparse.Namespace, prog: str) -> Settings | None:
    """The settings, or None after printing what to fix (the job then exits EXIT_BAD_CONFIG)."""
    try:
        return load_settings(args.env, args.conf_dir)
    except ConfigError as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return None


def validation_rules(settings: Settings) -> ValidationRules:
    """The bronze parser's limits, from the `ingest` settings."""
    return ValidationRules(
        max_payload_bytes=settings.ingest.max_payload_bytes,
        max_event_age_days=settings.ingest.max_event_age_days,
        max_event_future_minutes=settings.ingest.max_event_future_minutes,
    )
