"""The README's command reference and spark-submit line against the code they describe."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from lakehouse.cli.main import app
from lakehouse.settings import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
# The rows of the command table: | `lakehouse <command> [options]` | what it does |
COMMAND_ROWS = re.findall(r"^\| `lakehouse ([^`]+)` \|", README, flags=re.MULTILINE)
WIDE = {"COLUMNS": "200", "TERMINAL_WIDTH": "200", "NO_COLOR": "1"}


def command_words(usage: str) -> list[str]:
    """`transform [--select S] [--full-refresh]` -> ["transform"]."""
    return [word for word in usage.split() if re.fullmatch(r"[a-z][a-z-]*", word)]


def test_every_command_of_the_cli_is_in_the_readme() -> None:
    names = [
        command.name or getattr(command.callback, "__name__", "").replace("_", "-")
        for command in app.registered_commands
    ]
    names += [group.name for group in app.registered_groups if group.name]
    assert len(COMMAND_ROWS) >= 13
    missing = [name for name in names if f"`lakehouse {name}" not in README]
    assert missing == []


@pytest.mark.parametrize("usage", COMMAND_ROWS)
def test_each_command_in_the_readme_takes_the_options_it_names(usage: str) -> None:
    words = command_words(usage)
    result = CliRunner().invoke(app, [*words, "--help"], env=WIDE)
    assert result.exit_code == 0, result.output
    for option in re.findall(r"--[a-z][a-z-]*", usage):
        assert option in result.output, f"`lakehouse {' '.join(words)}` has no {option}"


def test_env_is_an_option_of_the_root_command_as_the_readme_says() -> None:
    assert "`lakehouse --env <name> <command>`" in README
    result = CliRunner().invoke(app, ["--env", "local", "ingest", "--print-command"], env=WIDE)
    assert result.exit_code == 0, result.output


def test_the_readme_spark_submit_line_is_the_one_the_code_prints() -> None:
    result = CliRunner().invoke(
        app, ["--env", "local", "ingest", "--print-command"], env={**WIDE, "LAKEHOUSE_ENV": "local"}
    )
    assert result.exit_code == 0, result.output
    printed = result.output.strip().replace(f"{PROJECT_ROOT}/", "")
    section = README.split("### The spark-submit line", 1)[1]
    block = re.search(r"```bash\n(.*?)\n```", section, flags=re.DOTALL)
    assert block is not None
    assert block.group(1) == printed
