"""The batch's progress line: counts, rate and ETA, and a retry's earlier files kept out of the rate."""

from __future__ import annotations

import time

from airflow_provider_aimlstt.triggers.batch import progress_line


def test_the_line_gives_counts_rate_and_eta() -> None:
    line = progress_line(done=100, total=400, failed=2, in_flight=32, started_at=time.time() - 60)
    counts, rate, eta = line.split(", ")[:3], line.split(", ")[3], line.split("ETA ")[1]
    assert counts == ["100/400 done", "2 failed", "32 in flight"]
    assert 95.0 <= float(rate.split()[0]) <= 100.0  # 100 files in a minute
    assert eta in {"3m00s", "3m01s", "3m02s", "3m03s", "3m04s", "3m05s"}


def test_files_an_earlier_try_finished_are_not_counted_in_the_rate() -> None:
    started = time.time() - 60
    retried = progress_line(
        done=300, total=400, failed=0, in_flight=10, started_at=started, done_at_start=270
    )
    rate = float(retried.split(", ")[3].split()[0])
    assert 28.0 <= rate <= 31.0, retried  # 30 files this try, in a minute; not 300


def test_a_finished_batch_has_no_eta() -> None:
    assert progress_line(5, 5, 0, 0, time.time() - 10).endswith("ETA -")
    assert progress_line(0, 5, 0, 5, time.time()).endswith("ETA -")
