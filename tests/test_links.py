"""The batch report's extra link, in a real ``dag.test()`` run: Airflow asks it for its URL when
the task's try ends and keeps what it answers in XCom, where the UI reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from airflow_provider_aimlstt.links import AimlSttBatchReportLink
from tests.dags.aimlstt_test_report_link import REPORT


def _stored_link(dag_run: Any, task_id: str) -> Any:
    """What Airflow kept of the task's link (the UI's source), or None."""
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session

    with create_session() as session:
        row = session.execute(
            XComModel.get_many(
                key=AimlSttBatchReportLink().xcom_key,
                run_id=dag_run.run_id,
                dag_ids=dag_run.dag_id,
                task_ids=task_id,
            ).with_only_columns(XComModel.value)
        ).first()
    return None if row is None else XComModel.deserialize_value(row)


def test_the_link_is_the_report_url_the_task_pushed(airflow_db: Path, load_dag: Any) -> None:
    dag_run = load_dag("aimlstt_test_report_link").test()

    assert dag_run.state == "success"
    assert _stored_link(dag_run, "with_report") == REPORT
    assert _stored_link(dag_run, "without_report") == ""  # no report: no link


def test_airflow_knows_the_link_from_the_provider_info() -> None:
    from airflow.providers_manager import ProvidersManager

    assert (
        "airflow_provider_aimlstt.links.AimlSttBatchReportLink" in ProvidersManager().extra_links_class_names
    )
