"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_aimlstt import __version__
from airflow_provider_aimlstt.hooks.connection_form import CONN_TYPE, PORT_LABEL, provider_info_form

INTEGRATION = "AI/ML API Speech-to-Text"
__all__ = ["INTEGRATION", "PORT_LABEL", "get_provider_info"]


def get_provider_info() -> dict[str, Any]:
    """Describe the provider: its modules, and the ``aimlstt`` connection form."""
    return {
        "package-name": "airflow-provider-aimlstt",
        "name": INTEGRATION,
        "description": "Speech-to-text transcription with the AI/ML API, from submit to result.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": INTEGRATION,
                "external-doc-url": "https://docs.aimlapi.com/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_provider_aimlstt.hooks.aimlstt"]}
        ],
        "operators": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_aimlstt.operators.submit",
                    "airflow_provider_aimlstt.operators.transcribe",
                    "airflow_provider_aimlstt.operators.batch",
                    "airflow_provider_aimlstt.operators.listing",
                    "airflow_provider_aimlstt.operators.summary",
                ],
            }
        ],
        "sensors": [
            {"integration-name": INTEGRATION, "python-modules": ["airflow_provider_aimlstt.sensors.job"]}
        ],
        "triggers": [
            {
                "integration-name": INTEGRATION,
                "python-modules": [
                    "airflow_provider_aimlstt.triggers.job",
                    "airflow_provider_aimlstt.triggers.batch",
                ],
            }
        ],
        "extra-links": ["airflow_provider_aimlstt.links.AimlSttBatchReportLink"],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_aimlstt.hooks.aimlstt.AimlSttHook",
                "hook-name": INTEGRATION,
                **provider_info_form(),
            }
        ],
    }
