"""A batch's report, as a person sees it: a real batch under a cap, its page opened in Chromium.

``AIMLSTT_SCREENSHOTS_DIR`` (``make screenshots``) keeps its picture for the documentation.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from tests.e2e.support import task_states
from tests.e2e.test_browser_ui import CHROMIUM_ARGS, _chromium, _keep_screenshot
from tests.operators.test_batch import tone

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("airflow_db", "fast_batch")]

FILES = 36
PRICE = 0.00007  # the emulator's default for Deepgram's models, per audio second


@contextmanager
def _page() -> Iterator[Any]:
    """A Chromium page; opened after the batch ran: Playwright's sync API holds an event loop in
    this thread, where ``dag.test()`` runs its triggers with one of its own."""
    chromium = _chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(viewport={"width": 1200, "height": 1400}).new_page()
        finally:
            browser.close()


def test_the_report_of_a_capped_batch_shows_its_counts_cost_and_causes(
    load_dag: Any, emulator: Any, tmp_path: Path
) -> None:
    _chromium()  # a skip (or in CI a failure) before the batch runs
    input_dir, output_dir = tmp_path / "calls", tmp_path / "transcripts"
    input_dir.mkdir()
    lengths = [0.5 + (index % 6) * 0.5 for index in range(FILES)]
    for index, seconds in enumerate(lengths):
        tone(input_dir / f"call_{index:02d}.wav", 220 + 9 * index, seconds)
    (input_dir / "broken_call.mp3").write_bytes(random.Random(7).randbytes(20_000))
    emulator.config.processing_seconds, emulator.config.processing_spread = 1.0, 0.8
    cap = 0.8 * math.fsum(lengths) * PRICE  # about a fifth of the files are left

    dag_run = load_dag("aimlstt_test_batch_cap").test(
        run_conf={"input_dir": str(input_dir), "output_dir": str(output_dir), "max_cost_usd": cap}
    )

    assert task_states(dag_run) == {("batch", -1): "failed"}
    report = next((output_dir / "_reports").glob("*.html"))
    with _page() as page:
        page.goto(report.as_uri())
        _check_and_keep(page, cap, tmp_path)


def _check_and_keep(page: Any, cap: float, tmp_path: Path) -> None:
    figures = {
        name: float(page.locator(f'[data-figure="{name}"]').get_attribute("data-value"))
        for name in ("files", "transcribed", "failed", "billed_usd")
    }
    assert figures["files"] == FILES + 1
    assert figures["transcribed"] + figures["failed"] == FILES + 1 and figures["failed"] >= 2
    assert 0 < figures["billed_usd"] <= cap
    expect(page.get_by_text("corrupt or unsupported data").first).to_be_visible()
    expect(page.get_by_text("max_cost_usd").first).to_be_visible()
    _keep_screenshot_full(page, "batch-report.png", tmp_path)


def _keep_screenshot_full(page: Any, name: str, tmp_path: Path) -> None:
    """The whole page, kept as :func:`~tests.e2e.test_browser_ui._keep_screenshot` keeps its own."""
    page.set_viewport_size({"width": 1200, "height": min(2400, page.evaluate("document.body.scrollHeight"))})
    _keep_screenshot(page, name, tmp_path)
