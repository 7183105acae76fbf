"""The Airflow UI as a user meets it, driven in headless Chromium against a real api-server.

The connection form for our type (labels, the masked key, the extras as fields, the port that
lets the Test button through), the row's Test button with a good and a bad key, the nightly DAG
triggered from its params form, and the batch and summary tasks' logs read in the UI.

Chromium is Debian's (``apt-get install chromium``), driven by Playwright without a downloaded
browser. ``AIMLSTT_SCREENSHOTS_DIR`` (``make screenshots``) keeps the two screenshots the
documentation shows (docs/images).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect, sync_playwright

from airflow_provider_aimlstt.get_provider_info import PORT_LABEL, get_provider_info
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_0_PLUS
from tests.conftest import TEST_API_KEY, connection_json
from tests.e2e.cluster import AirflowComponents
from tests.e2e.support import EXAMPLE_DAGS, day_named_now, mono_samples

pytestmark = pytest.mark.skipif(
    not AIRFLOW_V_3_0_PLUS,
    reason="drives Airflow 3's UI (its React pages: connection form, trigger form, task logs); "
    "Airflow 2's UI is another one",
)

DAG_ID = "example_aimlstt_nightly"
CONN_ID = "aimlstt_from_the_form"
WRONG_KEY = "sk-wrong-key-for-the-form-0123"
MODEL = "#g1_whisper-base"
PARSE_TIMEOUT_SECONDS = 120.0
RUN_TIMEOUT_SECONDS = 180.0
# What the machine's closed network needs: no background calls home, no sandbox as root.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    """The Chromium binary; a skip on a laptop without it, a failure in CI."""
    found = os.environ.get("AIMLSTT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    message = (
        "Chromium is not installed: `apt-get install chromium` (Debian), or set AIMLSTT_CHROMIUM "
        "to a Chromium or Chrome binary"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def emulator(_emulator_server: Any) -> Any:
    """The session's emulator, as it is configured (this module changes neither it nor its faults)."""
    return _emulator_server


@pytest.fixture(scope="module")
def airflow(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowComponents]:
    """One api-server, scheduler, dag-processor and triggerer for both tests (they start in ~40 s)."""
    _chromium()  # before anything starts
    folder = tmp_path_factory.mktemp("browser")
    input_dir = folder / "audio"
    day_folder = input_dir / day_named_now()  # the day a run triggered from the form now names
    day_folder.mkdir(parents=True)
    for sample in mono_samples()[:2]:
        shutil.copy(sample, day_folder)
    extra_env = {
        "AIRFLOW_CONN_AIMLSTT_DEFAULT": connection_json(emulator.base_url),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIMLSTT_NIGHTLY_SCHEDULE": "",
        "AIMLSTT_INPUT_DIR": input_dir.as_uri(),
    }
    with AirflowComponents(folder / "airflow", EXAMPLE_DAGS, extra_env) as components:
        components.wait_for(
            f"{DAG_ID} parsed",
            lambda: components.query("SELECT 1 FROM dag WHERE dag_id = ?", DAG_ID) or None,
            PARSE_TIMEOUT_SECONDS,
        )
        components.wait_for(
            "the api-server answering",
            lambda: _answers(f"http://127.0.0.1:{components.web_port}/api/v2/monitor/health"),
            PARSE_TIMEOUT_SECONDS,
        )
        yield components


def _answers(url: str) -> bool | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status == 200 or None
    except OSError:
        return None


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    chromium = _chromium()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(60_000)  # the longest wait for an element; most take < 1 s
            yield context.new_page()
        finally:
            browser.close()


def _keep_screenshot(page: Any, name: str, tmp_path: Path) -> None:
    """Save a screenshot of the page; also where ``AIMLSTT_SCREENSHOTS_DIR`` says, for the documentation."""
    shot = tmp_path / name
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000, "a blank screenshot"
    folder = os.environ.get("AIMLSTT_SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(folder) / name)


def _press_test(page: Any) -> tuple[str, str]:
    """Press the connection row's Test button; the title and text of the toast that shows its answer
    (an earlier press's toast may still be on the page: wait for the one with this answer's message)."""
    with page.expect_response(lambda answer: answer.url.endswith("/connections/test")) as answered:
        page.get_by_role("button", name="Test Connection").first.click()
    assert answered.value.status == 200, answered.value.text()
    message = str(answered.value.json()["message"])
    toast = page.get_by_role("status").filter(has_text="Test Connection").filter(has_text=message).last
    toast.wait_for(state="visible")
    title = toast.locator("[data-part=title]").inner_text()
    return title, toast.locator("[data-part=description]").inner_text()


def _extra_field_labels() -> list[str]:
    (connection_type,) = get_provider_info()["connection-types"]
    return [field["label"] for field in connection_type["conn-fields"].values()]


def _fill_connection_form(page: Any, base_url: str, tmp_path: Path) -> None:
    page.get_by_role("button", name="Add Connection").first.click()
    dialog = page.get_by_role("dialog")
    dialog.locator("input[name=connection_id]").fill(CONN_ID)
    dialog.get_by_role("combobox").fill("AI/ML")
    page.keyboard.press("Enter")
    for label in ("Base URL", "API key", PORT_LABEL):
        expect(dialog.get_by_text(label, exact=True)).to_be_visible()
    for hidden in ("Login", "Schema"):
        assert not dialog.get_by_text(hidden, exact=True).count(), f"{hidden} should be hidden"
    key = dialog.locator("input[name=password]")
    assert key.get_attribute("type") == "password"  # shown as dots
    assert dialog.locator("input[name=host]").get_attribute("placeholder") == "https://api.aimlapi.com"
    dialog.locator("input[name=host]").fill(base_url)
    key.fill(TEST_API_KEY)
    dialog.locator("input[name=port]").fill("0")
    _keep_screenshot(page, "connection-form.png", tmp_path)
    dialog.get_by_role("button", name="Extra Fields", exact=True).click()
    for label in _extra_field_labels():
        expect(dialog.get_by_text(label, exact=True)).to_be_visible()
    with page.expect_response(
        lambda answer: answer.url.endswith("/connections") and answer.request.method == "POST"
    ) as saved:
        dialog.get_by_role("button", name="Save").click()
    assert saved.value.status == 201, saved.value.text()
    assert json.loads(saved.value.request.post_data)["port"] == 0


@pytest.mark.e2e
def test_the_connection_form_and_its_test_button(
    airflow: AirflowComponents, page: Any, emulator: Any, tmp_path: Path
) -> None:
    api = f"http://127.0.0.1:{airflow.web_port}"
    page.goto(f"{api}/connections", wait_until="networkidle")
    _fill_connection_form(page, emulator.base_url, tmp_path)
    stored = airflow.query("SELECT conn_type, host, port FROM connection WHERE conn_id = ?", CONN_ID)
    assert stored == [("aimlstt", emulator.base_url, 0)]

    creates_before = emulator.stats()["create_attempts"]
    title, text = _press_test(page)
    assert title == "Test Connection Successful", text
    assert text == f"Connected to {emulator.base_url}; the API key was accepted."
    assert emulator.stats()["create_attempts"] == creates_before  # the test starts no paid job

    page.get_by_role("button", name="Edit Connection").first.click()
    dialog = page.get_by_role("dialog")
    key = dialog.locator("input[name=password]")
    assert key.input_value() != TEST_API_KEY  # the stored key never reaches the page
    key.fill(WRONG_KEY)
    with page.expect_response(lambda answer: answer.request.method == "PATCH") as saved:
        dialog.get_by_role("button", name="Save").click()
    assert saved.value.status == 200, saved.value.text()
    page.get_by_role("dialog").wait_for(state="hidden")
    title, text = _press_test(page)
    assert title == "Test Connection Failed", text
    assert "refused the API key (HTTP 401" in text and text.endswith("Check the API key.")
    for not_shown in (WRONG_KEY, TEST_API_KEY, "connection-test-", "password field"):
        assert not_shown not in text
    assert TEST_API_KEY not in page.content()


@pytest.mark.e2e
def test_a_nightly_run_from_the_trigger_form_and_its_logs(
    airflow: AirflowComponents, page: Any, tmp_path: Path
) -> None:
    api = f"http://127.0.0.1:{airflow.web_port}"
    output_dir = tmp_path / "transcripts"
    page.goto(f"{api}/dags/{DAG_ID}", wait_until="networkidle")
    page.get_by_role("button", name="Trigger").first.click()
    dialog = page.get_by_role("dialog")
    for title in ("Input folder", "Output folder", "Model", "Files per batch task", "Jobs in flight"):
        # a param's title (those without a default marked required)
        expect(dialog.get_by_text(re.compile(rf"^{re.escape(title)}")).first).to_be_visible()
    assert not dialog.get_by_text("input_dir", exact=True).count()  # titles, not raw names
    dialog.locator("[name=element_output_dir]").fill(str(output_dir))
    dialog.get_by_role("combobox").last.fill(MODEL.removeprefix("#g1_"))  # the model is a list
    page.keyboard.press("Enter")
    with page.expect_response(
        lambda answer: answer.url.endswith("/dagRuns") and answer.request.method == "POST"
    ) as triggered:
        dialog.get_by_role("button", name="Trigger").last.click()
    assert triggered.value.status == 200, triggered.value.text()
    run = triggered.value.json()
    assert run["conf"]["model"] == MODEL and run["conf"]["output_dir"] == str(output_dir)
    run_id = run["dag_run_id"]
    state = airflow.wait_for_run_end(run_id, RUN_TIMEOUT_SECONDS)
    assert state == "success"
    samples = mono_samples()[:2]
    day = output_dir / day_named_now()
    assert sorted(path.name for path in day.glob("*.txt")) == sorted(f"{s.stem}.txt" for s in samples)

    run_page = f"{api}/dags/{DAG_ID}/runs/{run_id}/tasks"
    page.goto(f"{run_page}/transcribe_new_audio.transcribe/mapped/0", wait_until="networkidle")
    log = page.get_by_text("Batch finished:").first
    log.wait_for()
    shown = page.locator("body").inner_text()
    assert "'transcribed': 2" in shown and "'failed': 0" in shown, shown[-2000:]
    for sample in samples:
        assert f"Submitted file {sample.name}" in shown or f"/{sample.name} (model {MODEL})" in shown
    assert TEST_API_KEY not in page.content()
    _keep_screenshot(page, "run-log.png", tmp_path)

    page.goto(f"{run_page}/transcribe_new_audio.summarize", wait_until="networkidle")
    page.get_by_text("Total: ").first.wait_for()
    shown = page.locator("body").inner_text()
    for sample in samples:  # every row of the table where a user looks, not folded away
        assert sample.stem in shown, shown[-2000:]
