"""Provider metadata read by Airflow through the ``apache_airflow_provider`` entry point."""

from __future__ import annotations

from typing import Any

from airflow_provider_aimlstt import __version__
from airflow_provider_aimlstt.defaults import (
    API_RETRIES,
    API_RETRY_BACKOFF_SECONDS,
    API_RETRY_MAX_BACKOFF_SECONDS,
    CONNECT_TIMEOUT_SECONDS,
    DEFAULT_BASE_URL,
    READ_TIMEOUT_SECONDS,
    USAGE_LOG_WAIT_SECONDS,
)

INTEGRATION = "AI/ML API Speech-to-Text"
# The port field: 0 means the Base URL's own port, and lets the Test button of Airflow 3.3 through.
PORT_LABEL = "Port (0: the Base URL's own; the Test button needs it)"


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
                "connection-type": "aimlstt",
                "hook-class-name": "airflow_provider_aimlstt.hooks.aimlstt.AimlSttHook",
                "hook-name": INTEGRATION,
                "conn-fields": {
                    "read_timeout": {
                        "label": "Read timeout (seconds)",
                        "schema": {"type": ["number", "null"], "default": READ_TIMEOUT_SECONDS},
                        "description": "Seconds to wait between bytes of an answer.",
                    },
                    "connect_timeout": {
                        "label": "Connect timeout (seconds)",
                        "schema": {"type": ["number", "null"], "default": CONNECT_TIMEOUT_SECONDS},
                    },
                    "allow_insecure_http": {
                        "label": "Allow plain http to a remote host",
                        "schema": {"type": ["boolean", "null"], "default": False},
                        "description": "Plain http is accepted for loopback hosts only, unless this is set.",
                    },
                    "api_retries": {
                        "label": "Retries of a failed API call",
                        "schema": {"type": ["integer", "null"], "minimum": 0, "default": API_RETRIES},
                        "description": "429, 5xx, network errors and read timeouts; 0 turns retrying off.",
                    },
                    "api_retry_backoff": {
                        "label": "First retry wait, at most (seconds)",
                        "schema": {
                            "type": ["number", "null"],
                            "exclusiveMinimum": 0,
                            "default": API_RETRY_BACKOFF_SECONDS,
                        },
                        "description": "The random wait between retries doubles its bound each time.",
                    },
                    "api_retry_max_backoff": {
                        "label": "Longest retry wait (seconds)",
                        "schema": {
                            "type": ["number", "null"],
                            "exclusiveMinimum": 0,
                            "default": API_RETRY_MAX_BACKOFF_SECONDS,
                        },
                    },
                    "usage_log_wait": {
                        "label": "Look for a lost submission in the usage log for (seconds)",
                        "schema": {
                            "type": ["number", "null"],
                            "minimum": 0,
                            "default": USAGE_LOG_WAIT_SECONDS,
                        },
                        "description": "When a submission's answer is lost, find its job in /v2/logs "
                        "instead of failing; 0 turns this off.",
                    },
                },
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "login", "extra"],
                    # Airflow 3.3's Test button fails for a connection stored without a port:
                    # a 0 in this field (the Base URL's own port) lets it through.
                    "relabeling": {"password": "API key", "host": "Base URL", "port": PORT_LABEL},
                    "placeholders": {
                        "host": DEFAULT_BASE_URL,
                        "password": "your AI/ML API key",
                        "port": "0",
                    },
                },
            }
        ],
    }
