"""The provider registers with Airflow, and Airflow keeps working with it installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema

from airflow_provider_aimlstt.get_provider_info import PORT_LABEL, get_provider_info


def _airflow(*args: str) -> subprocess.CompletedProcess[str]:
    airflow = Path(sys.executable).with_name("airflow")
    return subprocess.run(
        [str(airflow), *args], capture_output=True, text=True, timeout=120, env=os.environ.copy(), check=False
    )


def test_provider_info_matches_airflows_schema() -> None:
    import airflow

    schema = json.loads((Path(airflow.__file__).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)


def test_airflow_lists_the_provider_and_still_imports() -> None:
    listed = _airflow("providers", "list", "--output", "json")
    assert listed.returncode == 0, listed.stderr[-2000:]
    names = {entry["package_name"] for entry in json.loads(listed.stdout)}
    assert "airflow-provider-aimlstt" in names
    imported = subprocess.run(
        [sys.executable, "-c", "from airflow.sdk import BaseOperator; import airflow.providers_manager"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr[-2000:]


def test_connection_type_and_form_come_through_the_providers_manager() -> None:
    from airflow.providers_manager import ProvidersManager
    from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime

    hook = ProvidersManagerTaskRuntime().hooks["aimlstt"]
    assert hook is not None
    assert hook.hook_class_name == "airflow_provider_aimlstt.hooks.aimlstt.AimlSttHook"
    manager = ProvidersManager()
    behaviour = manager.field_behaviours["aimlstt"]
    assert behaviour["relabeling"] == {"password": "API key", "host": "Base URL", "port": PORT_LABEL}
    # The port stays in the form: Airflow 3.3's Test button needs one stored (0 will do).
    assert {"schema", "login"} <= set(behaviour["hidden_fields"])
    assert "port" not in behaviour["hidden_fields"]
    widgets = manager.connection_form_widgets
    expected = {"read_timeout", "connect_timeout", "allow_insecure_http", "api_retries", "api_retry_backoff"}
    assert {f"extra__aimlstt__{name}" for name in expected | {"api_retry_max_backoff"}} <= set(widgets)


def test_a_connection_of_type_aimlstt_is_stored_with_its_type(airflow_db: Path) -> None:
    added = _airflow(
        "connections", "add", "stt_check", "--conn-type", "aimlstt", "--conn-host", "https://x.example"
    )
    assert added.returncode == 0, added.stderr[-2000:]
    from airflow.models.connection import Connection
    from airflow.utils.session import create_session

    with create_session() as session:  # the same metadata database the CLI wrote to
        stored = session.query(Connection).filter(Connection.conn_id == "stt_check").one()
        assert (stored.conn_type, stored.host) == ("aimlstt", "https://x.example")
