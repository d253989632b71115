"""The freshness measurement's per-window p95: which events fall in which window."""

from __future__ import annotations

from bench.freshness import p95_by_window, percentile


def test_the_p95_is_the_value_below_which_95_percent_lie() -> None:
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 96.0
    assert percentile([0.5], 0.95) == 0.5


def test_each_window_takes_the_events_sent_in_its_ten_seconds_from_the_first() -> None:
    first = 1_000.0
    sent_and_delays = [
        (first + 9.9, 5.0),  # first window
        (first, 4.0),
        (first + 10.0, 2.0),  # second
        (first + 25.0, 1.5),  # third
        (first + 29.0, 1.0),
        (first + 31.0, 3.0),  # past the traffic's 30 s: counted in the last window
    ]

    assert p95_by_window(sent_and_delays, 30) == (5.0, 2.0, 3.0)


def test_a_window_without_events_reads_zero() -> None:
    assert p95_by_window([(100.0, 1.25)], 20) == (1.25, 0.0)
    assert p95_by_window([], 10) == (0.0,)
