"""Defaults the hook, the connection form and the tasks share, in a module light enough for a DAG
file to import.

Each default has its home here and nowhere else: a signature, a trigger, the connection form or a
docstring that needs one of these values imports it. The waits read the poll settings from this
module when they start, so a test may monkeypatch them to poll faster.
"""

from __future__ import annotations

DEFAULT_CONN_ID = "aimlstt_default"
"""The Airflow connection (type ``aimlstt``) a hook or task uses when none is named."""

RESULT_RETENTION_SECONDS = 3600.0
"""How long the API keeps a job's result after it finished: one hour."""

FIRST_POLL_SECONDS = 10.0
"""Seconds before the second poll of a job whose length cannot be predicted."""

MAX_POLL_SECONDS = 60.0
"""The longest wait between two polls of a job."""

MAX_CONSECUTIVE_FAILURES = 5
"""Polls of one job in a row that fail even after their retries before a wait in the triggerer ends."""

# The connection's extras, when it does not set them.

DEFAULT_BASE_URL = "https://api.aimlapi.com"
"""The API's address when the connection has no host."""

CONNECT_TIMEOUT_SECONDS = 10.0
"""Seconds to wait for a TCP connection (extra ``connect_timeout``)."""

READ_TIMEOUT_SECONDS = 60.0
"""Seconds to wait between bytes of an answer (extra ``read_timeout``)."""

USAGE_LOG_WAIT_SECONDS = 60.0
"""After a create whose answer was lost, how long to look for its job in the usage log (extra
``usage_log_wait``)."""

API_RETRIES = 5
"""Retries of a failed API call (extra ``api_retries``)."""

API_RETRY_BACKOFF_SECONDS = 1.0
"""The upper bound of the first random wait between retries (extra ``api_retry_backoff``)."""

API_RETRY_MAX_BACKOFF_SECONDS = 60.0
"""The cap of the random wait between retries (extra ``api_retry_max_backoff``)."""
