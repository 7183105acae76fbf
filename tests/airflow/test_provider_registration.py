"""The provider registers with Airflow, and Airflow keeps working with it installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from airflow_provider_aimlstt.get_provider_info import get_provider_info
from airflow_provider_aimlstt.hooks.connection_form import EXTRA_FIELDS, PORT_LABEL
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_2_PLUS
from tests.airflow_compat import hook_class_name

BASE_OPERATOR_HOME = "airflow.providers.common.compat.sdk"


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
        [
            sys.executable,
            "-c",
            "from airflow.providers.common.compat.sdk import BaseOperator; import airflow.providers_manager",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert imported.returncode == 0, imported.stderr[-2000:]


def test_the_connection_type_comes_through_the_providers_manager() -> None:
    assert hook_class_name("aimlstt") == "airflow_provider_aimlstt.hooks.aimlstt.AimlSttHook"


def test_the_form_airflow_reads_has_each_fields_label_and_default() -> None:
    """Airflow 3.2+ reads the provider info's conn-fields; 2.11 to 3.1 call the hook's methods."""
    from airflow.providers_manager import ProvidersManager

    if not AIRFLOW_V_3_2_PLUS:
        pytest.importorskip("wtforms", reason="the hook's form widgets need WTForms (the FAB provider)")
        pytest.importorskip("flask_appbuilder", reason="the hook's form widgets need the FAB provider")
    manager = ProvidersManager()
    behaviour = manager.field_behaviours["aimlstt"]
    assert behaviour["relabeling"] == {"password": "API key", "host": "Base URL", "port": PORT_LABEL}
    # The port stays in the form: Airflow 3.3's Test button needs one stored (0 will do).
    assert {"schema", "login"} <= set(behaviour["hidden_fields"])
    assert "port" not in behaviour["hidden_fields"]
    widgets = manager.connection_form_widgets
    for field in EXTRA_FIELDS:
        widget = widgets[f"extra__aimlstt__{field.name}"]
        if AIRFLOW_V_3_2_PLUS:  # a JSON schema per field, from the provider info
            label, default = widget.field["schema"]["title"], widget.field["value"]
        else:  # a WTForms field, from AimlSttHook.get_connection_form_widgets
            label, default = str(widget.field.args[0]), widget.field.kwargs["default"]
            default = float(default) if field.kind == "seconds" else default
        assert (label, default) == (field.label, field.default)


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
