"""A test-only DAG: two tasks with the batch report's extra link, one pushing a report's URL."""

from __future__ import annotations

from typing import Any

import pendulum
from airflow.providers.common.compat.sdk import BaseOperator, dag

from airflow_provider_aimlstt.links import REPORT_URL_XCOM_KEY, AimlSttBatchReportLink

REPORT = "s3://lake@reports/nightly/_reports/aimlstt_test_report_link__manual__with_report__-1.html"


class PushesAReport(BaseOperator):
    """Pushes ``url`` (when there is one) where a batch task pushes its report's URL."""

    operator_extra_links = (AimlSttBatchReportLink(),)

    def __init__(self, url: str | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url = url

    def execute(self, context: Any) -> None:
        if self.url is not None:
            context["ti"].xcom_push(key=REPORT_URL_XCOM_KEY, value=self.url)


@dag(
    dag_id="aimlstt_test_report_link",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    tags=["aimlstt", "test"],
)
def aimlstt_test_report_link() -> None:
    PushesAReport(task_id="with_report", url=REPORT)
    PushesAReport(task_id="without_report", url=None)


aimlstt_test_report_link()
