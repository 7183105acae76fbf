"""A batch's cost: estimated before the first create, capped by ``max_cost_usd``, reported after."""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_aimlstt.batch.estimate import cost_rate_variable_key
from airflow_provider_aimlstt.batch.manifest import manifest_location
from airflow_provider_aimlstt.batch.results import read_batch
from airflow_provider_aimlstt.links import REPORT_URL_XCOM_KEY
from tests.airflow_compat import return_value, stored_xcom
from tests.e2e.support import task_states
from tests.operators.test_batch import tone

pytestmark = [pytest.mark.usefixtures("airflow_db", "fast_batch")]

FILES = 12
SECONDS = 1.0
PRICE = 0.00007  # the emulator's default for Deepgram's models, per audio second


def _folder(tmp_path: Path) -> tuple[Path, Path]:
    input_dir, output_dir = tmp_path / "audio", tmp_path / "out"
    input_dir.mkdir()
    for index in range(FILES):
        tone(input_dir / f"call_{index:02d}.wav", 300 + 11 * index, SECONDS)
    return input_dir, output_dir


def _creates(emulator: Any) -> int:
    return sum(emulator.stats()["creates_by_sha256"].values())


def _xcom(dag_run: Any, key: str) -> Any:
    return stored_xcom(dag_run, "batch", key)


@pytest.mark.parametrize("price_known", [False, True], ids=["first-batch", "price-learned"])
def test_the_cap_stops_the_creates_writes_what_was_paid_for_and_fails_saying_how_many_were_left(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any, price_known: bool
) -> None:
    from airflow.models.variable import Variable

    key = cost_rate_variable_key("aimlstt_default", "#g1_nova-2-general")
    Variable.delete(key)
    if price_known:  # what earlier batches were billed: the first wave is sized by it
        Variable.set(key, '{"batches": [[0.0007, 10.0]]}')
    input_dir, output_dir = _folder(tmp_path)
    cap = 4.5 * SECONDS * PRICE  # four files fit; the fifth would pass it
    before = _creates(emulator)

    dag_run = load_dag("aimlstt_test_batch_cap").test(
        run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir), "max_cost_usd": cap}
    )

    assert task_states(dag_run) == {("batch", -1): "failed"}
    text = logs()
    assert "8 of 12 file(s) were not submitted: the next create would have passed max_cost_usd" in text
    assert text.count("AirflowFailException") >= 1 and "try_number=2" not in text  # never retried
    assert _creates(emulator) - before == 4
    location = manifest_location(str(output_dir), None, dag_run.dag_id, dag_run.run_id, "batch", -1)
    rows = read_batch(location)
    done = [row for row in rows if row.status == "transcribed"]
    left = [row for row in rows if row.status == "failed"]
    assert (len(done), len(left)) == (4, 8)
    assert all((output_dir / f"{row.name}.json").exists() for row in done)  # paid results are written
    billed = math.fsum(row.cost_usd or 0.0 for row in done)
    assert billed == pytest.approx(4 * SECONDS * PRICE) and billed <= cap
    report = Path(str(_xcom(dag_run, REPORT_URL_XCOM_KEY)).removeprefix("file://"))
    page = html.unescape(report.read_text(encoding="utf-8"))
    assert "max_cost_usd" in page and "call_11.wav" in page  # every left file, with its cause


def test_estimate_only_reads_the_heads_and_submits_and_writes_nothing(
    load_dag: Any, emulator: Any, tmp_path: Path, logs: Any
) -> None:
    input_dir, output_dir = _folder(tmp_path)
    before = _creates(emulator)

    dag_run = load_dag("aimlstt_test_batch_estimate_only").test(
        run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir)}
    )

    assert task_states(dag_run) == {("batch", -1): "success"}
    result = return_value(dag_run, "batch")
    assert result["dry_run"] is True and result["files"] == FILES and result["submitted"] == 0
    estimate = result["estimate"]
    assert (estimate["files"], estimate["files_with_duration"], estimate["unknown_files"]) == (
        FILES,
        FILES,
        0,
    )
    assert estimate["audio_seconds_known"] == pytest.approx(FILES * SECONDS)
    assert estimate["estimated_usd"] == pytest.approx(FILES * SECONDS * 0.0001)
    assert estimate["rate_source"] == "given"
    assert _creates(emulator) == before
    assert not output_dir.exists()  # no manifest, no report, no receipt
    assert "Cost estimate: 12.0 s" in logs()
