"""`python -m bench`: run the benchmarks on the local stack and write the report.

`make bench` runs the full scale into docs/; the test suite runs `--scale smoke`.
"""

from __future__ import annotations

import json
import random
import shlex
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bench.report import targets, write_dbt_outputs, write_outputs
from bench.runner import SECTIONS, run_benchmarks
from bench.scales import SCALES

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@app.command()
def main(
    scale: Annotated[
        str,
        typer.Option(
            help="smoke (a few minutes), mid (2,000,000 dbt events) or full (about 30 minutes "
            "on 2 cores, with every lever measured both ways)."
        ),
    ] = "full",
    output: Annotated[Path, typer.Option(help="Folder for the JSON, markdown and PNG.")] = Path(
        "docs"
    ),
    seed: Annotated[int | None, typer.Option(help="Simulator seed (default: random).")] = None,
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="Run only this section (drain, freshness, dbt; repeatable): dbt alone writes "
            "dbt-cost.md/.json, any other choice prints its JSON instead of the report."
        ),
    ] = None,
) -> None:
    """Measure the Kafka ceiling, the Python baseline, the bronze job, freshness and dbt."""
    if scale not in SCALES:
        raise typer.BadParameter(f"choose one of {sorted(SCALES)}", param_hint="--scale")
    console = Console()
    chosen_seed = seed if seed is not None else random.SystemRandom().randrange(2**31)
    command = shlex.join(["python", "-m", "bench", *sys.argv[1:]])
    unknown = sorted(set(only or ()) - set(SECTIONS))
    if unknown:
        raise typer.BadParameter(f"{unknown}: choose from {list(SECTIONS)}", param_hint="--only")
    sections = tuple(only) if only else SECTIONS
    with tempfile.TemporaryDirectory(prefix="lakehouse-bench-") as workdir:
        results = run_benchmarks(SCALES[scale], Path(workdir), chosen_seed, console, sections)
    if sections == ("dbt",):
        page = write_dbt_outputs(results, output)
        console.print(page.read_text())
        console.print(f"wrote {page}")
        return
    if only:
        console.print_json(json.dumps(results))
        return
    paths = write_outputs(results, output, command)
    console.rule("targets")
    for name, required, measured, met in targets(results):
        verdict = "[green]met[/]" if met else "[bold red]missed[/]"
        console.print(f"{verdict} {name}: {measured} (required {required})")
    console.print(f"wrote {', '.join(str(path) for path in paths.values())}")


if __name__ == "__main__":
    app()
