"""The batch report's extra link, in a real ``dag.test()`` run: Airflow 3 asks it for its URL when
the task's try ends and keeps what it answers in XCom, where the UI reads it; Airflow 2's webserver
asks it when the page is shown."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_aimlstt.links import AimlSttBatchReportLink
from tests.airflow_compat import link_url_in_ui
from tests.dags.aimlstt_test_report_link import REPORT


def test_the_link_is_the_report_url_the_task_pushed(airflow_db: Path, load_dag: Any) -> None:
    dag_run = load_dag("aimlstt_test_report_link").test()

    assert dag_run.state == "success"
    assert link_url_in_ui(dag_run, "with_report", AimlSttBatchReportLink()) == REPORT
    assert link_url_in_ui(dag_run, "without_report", AimlSttBatchReportLink()) == ""  # no report: no link


def test_airflow_knows_the_link_from_the_provider_info() -> None:
    from airflow.providers_manager import ProvidersManager

    assert (
        "airflow_provider_aimlstt.links.AimlSttBatchReportLink" in ProvidersManager().extra_links_class_names
    )
