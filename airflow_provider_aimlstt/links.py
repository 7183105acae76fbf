"""The batch task's extra link in the Airflow UI: its report of the night.

Airflow 3 asks an operator's links for their URLs on the worker, when the task's try ends, and
keeps each in XCom for the UI. This link's URL is the one the task pushed under
:data:`REPORT_URL_XCOM_KEY`, as it was stored: the report's ``file://`` or ``s3://`` URI opens in
a browser only where something serves it, so which address to push (a presigned URL, a static
site, the URI itself) is the task's to choose. No report pushed: no link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperatorLink

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import TaskInstanceKey

REPORT_URL_XCOM_KEY = "report_url"
"""The XCom key under which a batch task pushes its report's URL."""


class AimlSttBatchReportLink(BaseOperatorLink):
    """The "Batch report" link: the URL the task pushed under :data:`REPORT_URL_XCOM_KEY`."""

    name = "Batch report"

    def get_link(self, operator: Any, *, ti_key: TaskInstanceKey) -> str:
        """The report's URL as the task pushed it; empty (no link) when it pushed none.

        :param operator: the task's operator.
        :param ti_key: the task instance.
        """
        from airflow.providers.common.compat.sdk import XCom

        url = XCom.get_value(ti_key=ti_key, key=REPORT_URL_XCOM_KEY)
        return str(url) if url else ""
