"""The benchmark page from the figures: the dbt part and the freshness limits."""

from __future__ import annotations

from pathlib import Path

from bench.report import _freshness_limits, dbt_section, write_dbt_outputs


def dbt_results(incremental_seconds: float) -> dict[str, object]:
    """A dbt measurement as bench.dbt_cost returns it (asdict), with round figures."""
    return {
        "events": 1_000,
        "new_events": 10,
        "silver_rows": 1_010,
        "history_days": 30,
        "new_late_share": 0.1,
        "incremental_share": incremental_seconds / 40.0,
        "full": {
            "seconds": 40.0,
            "execution_seconds": 36.0,
            "tests_seconds": 8.0,
            "load_average": 1.5,
            "models": {
                "int_listening_events_deduplicated": 20.0,
                "fct_listens": 10.0,
                "track_recommendations": 4.0,
            },
        },
        "incremental": {
            "seconds": incremental_seconds,
            "execution_seconds": incremental_seconds - 3.0,
            "tests_seconds": 2.0,
            "load_average": 1.25,
            "models": {"int_listening_events_deduplicated": 1.0, "fct_listens": 0.5},
        },
    }


def limits_page(results: dict[str, object], folder: Path) -> str:
    """The limits page write_dbt_outputs writes for a run with these dbt figures."""
    run = {
        "started_at": "2026-11-26T18:00:00+00:00",
        "seconds": 99.0,
        "load_average": {"start": 1.0, "end": 2.0},
        "dbt": results,
    }
    return write_dbt_outputs(run, folder).read_text()


def test_the_dbt_section_has_a_row_per_model_and_the_parts_of_the_wall_time() -> None:
    page = "\n".join(dbt_section(dbt_results(6.0)))

    assert "| fct_listens | 10.00 | 0.50 | 5% |" in page
    assert "| int_listening_events_deduplicated | 20.00 | 1.00 | 5% |" in page
    assert "| track_recommendations | 4.00 | daily DAG |  |" in page
    assert "| all data tests (summed) | 8.00 | 2.00 |  |" in page
    assert "| dbt start-up and parsing | 4.00 | 3.00 |  |" in page
    assert "| wall time of `dbt build` | 40.00 | 6.00 | 15% |" in page
    assert "track_recommendations is rebuilt once a day by its own DAG" in page
    assert "Load average (1 min) when each started: 1.5 and 1.25" in page
    assert "3.0 s before dbt runs anything" in page
    assert "heaviest: `int_listening_events_deduplicated` 1.00 s, `fct_listens` 0.50 s" in page


def test_the_build_with_nothing_new_gets_a_column_and_is_named_as_the_floor(
    tmp_path: Path,
) -> None:
    results = dbt_results(6.0)
    results["nothing_new"] = {
        "seconds": 5.0,
        "execution_seconds": 2.25,
        "tests_seconds": 1.5,
        "nodes": 70,
        "models": {"int_listening_events_deduplicated": 0.75, "fct_listens": 0.25},
    }

    page = "\n".join(dbt_section(results))
    limits = limits_page(results, tmp_path)

    assert (
        "| model or snapshot | full (s) | incremental (s) | incremental / full | nothing new (s) |"
    ) in page
    assert "| fct_listens | 10.00 | 0.50 | 5% | 0.25 |" in page
    assert "| track_recommendations | 4.00 | daily DAG |  |  |" in page
    assert "| all data tests (summed) | 8.00 | 2.00 |  | 1.50 |" in page
    assert "| dbt start-up and parsing | 4.00 | 3.00 |  | 2.75 |" in page
    assert "| wall time of `dbt build` | 40.00 | 6.00 | 15% | 5.00 |" in page
    assert "the incremental build took 5.0 s = 12.5% of the full build (70 models" in page
    assert "(70 models, snapshots and data tests; 2.8 s of start-up" in page
    assert "The same build with nothing new took 5.0 s (12.5% of the full)" in limits
    assert "A dbt command that builds one view" not in limits  # not measured in this run


def test_the_reference_branch_left_out_and_one_view_are_named_for_what_they_are(
    tmp_path: Path,
) -> None:
    results = dbt_results(6.0)
    results["full"]["models"] |= {"dim_users": 0.25, "users_snapshot": 0.5}  # type: ignore[index]
    results["reference_models"] = ["dim_users", "users_snapshot"]
    results["one_view"] = {"seconds": 3.2, "execution_seconds": 0.2, "nodes": 1, "models": {}}

    page = "\n".join(dbt_section(results))

    assert "| dim_users | 0.25 | inputs unchanged |  |" in page
    assert "| users_snapshot | 0.50 | inputs unchanged |  |" in page
    assert "| track_recommendations | 4.00 | daily DAG |  |" in page
    assert "track_recommendations is rebuilt once a day by its own DAG; the reference " in page
    assert "branch (dim_users, users_snapshot) and the data tests that read only it" in page
    assert "took 3.2 s = 8.0% of the full build, 3.0 s of it before dbt ran anything" in page
    limits = limits_page(results, tmp_path)
    assert "A dbt command that builds one view took 3.2 s (8.0% of the full)" in limits


def test_the_limits_follow_the_figures_and_only_when_the_target_is_missed(tmp_path: Path) -> None:
    results = {"started_at": "2026-11-26T18:00:00+00:00", "seconds": 99.0}
    load = {"load_average": {"start": 1.0, "end": 2.0}}
    missed = write_dbt_outputs(
        {**results, **load, "dbt": dbt_results(6.0)}, tmp_path / "missed"
    ).read_text()
    met = write_dbt_outputs({**results, **load, "dbt": dbt_results(3.0)}, tmp_path / "met")

    assert "15.0%, missed" in missed
    assert "The target allows 4.0 s (10% of the full 40.0 s); the incremental build took 6.0 s" in (
        missed
    )
    assert "3.0 s is dbt starting and parsing the project (7.5% of the full build" in missed
    assert "Silver took 1.00 s against 20.00 s for its full build." in missed
    assert "7.5%, met" in met.read_text()
    assert "The target allows" not in met.read_text()
    assert (tmp_path / "met" / "dbt-cost.json").is_file()


def test_each_lever_measured_off_gets_a_row_against_the_run_with_all_on() -> None:
    results = dbt_results(6.0)
    results["bytecode_cached"] = True
    results["lever_descriptions"] = {"partial parse state kept": "msgpack kept"}
    results["levers_off"] = {
        "partial parse state kept": {
            "seconds": 9.5,
            "execution_seconds": 3.0,
            "tests_seconds": 2.25,
            "models": {},
        }
    }

    page = "\n".join(dbt_section(results))

    assert "| partial parse state kept | 6.00 | 9.50 | +3.50 | 3.00 / 6.50 | 2.00 / 2.25 | " in (
        page
    )
    assert "msgpack kept |" in page
    assert "dbt's modules had compiled bytecode: yes." in page
    assert "The on column is the incremental build above." in page
    assert "measured off" not in "\n".join(dbt_section(dbt_results(6.0)))


def test_the_levers_on_column_is_the_mean_of_the_runs_before_and_after_them() -> None:
    results = dbt_results(6.0)
    results["levers_off"] = {
        "two dbt threads": {
            "seconds": 6.25,
            "execution_seconds": 3.0,
            "tests_seconds": 2.0,
            "models": {},
        }
    }
    # The same run once more after the levers: a later run of a session can differ from the
    # first, and the off runs come between the two.
    results["incremental_again"] = {
        "seconds": 7.0,
        "execution_seconds": 3.0,
        "tests_seconds": 3.0,
        "models": {},
    }

    page = "\n".join(dbt_section(results))

    assert "| two dbt threads | 6.50 | 6.25 | -0.25 | 3.50 / 3.25 | 2.50 / 2.00 | " in page
    assert "(6.00 and 7.00 s)" in page


def test_the_freshness_limits_separate_the_warm_up_from_the_steady_state() -> None:
    fresh = {
        "rate": 10_000,
        "p95_by_window": [4.4, 3.2, 2.4, 2.1, 1.9, 3.7],
        "median_batch_seconds": 1.2,
        "median_batch_records": 11_400,
    }
    batch_cost = [
        {"configured": False, "records_per_batch": 1_997, "median_seconds": 1.3, "batches": 34},
        {"configured": True, "records_per_batch": 1_997, "median_seconds": 1.4, "batches": 34},
    ]

    drain, warm_up, fixed = _freshness_limits(fresh, 50_000, batch_cost)

    assert "at 10,000/s it runs at 20% of that" in drain
    assert "divided by 0.80" in drain
    assert "the p95 was 4.4 / 3.2 / 2.4 / 2.1 / 1.9 / 3.7 s" in warm_up
    assert "from the third window on the p95 stayed within 1.9-3.7 s" in warm_up
    assert "A batch of 1,997 records takes 1.40 s" in fixed
    assert "about two of those, 2.8 s" in fixed
    assert "drains of about 20 batches each" in fixed
    assert "batches took 1.2 s for 11,400 records" in fixed


def test_without_windows_the_freshness_limits_say_nothing_of_the_warm_up() -> None:
    fresh = {"rate": 10_000, "median_batch_seconds": 2.8, "median_batch_records": 29_993}

    lines = _freshness_limits(fresh, 40_000, [])

    assert len(lines) == 1
    assert lines[0].startswith("- **Freshness.** The job drains 40,000 events/s")
