"""A local emulator of the AI/ML API speech-to-text service, for tests, demos and CI.

It imports no Airflow module, so it starts fast wherever the provider's light dependencies are
installed. Run it with ``aimlstt-emulator`` / ``python -m airflow_provider_aimlstt.emulator``, or
in-process::

    from airflow_provider_aimlstt.emulator import EmulatorConfig, EmulatorServer

    with EmulatorServer(EmulatorConfig(api_key="emulator-key")) as server:
        ...  # point the client at server.base_url
        server.faults.set(FaultConfig(rate_limit=0.2, seed=1))  # see the faults package
        server.clock.advance(2.0)  # every job two seconds older, without waiting

Laid out like moto's services: ``models`` (the create, fetch and usage-log operations), ``jobs``
(the job store, every operation O(1) or O(log n) in its jobs), ``slots`` (the per-key concurrency
limit, ``max_concurrent_jobs``), ``responses`` (HTTP in and out), ``urls`` (the route table),
``exceptions`` (the error bodies), with ``catalog`` (the models, read from the API's own create
schemas in the package's ``api_schemas/``, through ``openapi``), ``parsing`` (request bodies),
``validation`` (against those schemas), ``results`` (the result body of each model family),
``billing`` and ``tracing`` (the cost and tracing headers), ``usage_log`` and ``logs_query``
(``GET /v2/logs``) and ``faults`` (fault injection). It imports nothing of the provider but the
API's two paths, and reads the API's documents as data, so it checks the provider instead of
sharing its mistakes.
"""

from airflow_provider_aimlstt.emulator.clock import ManualClock, MonotonicClock
from airflow_provider_aimlstt.emulator.config import EmulatorConfig
from airflow_provider_aimlstt.emulator.faults import FaultConfig, FaultInjector
from airflow_provider_aimlstt.emulator.server import EmulatorServer

__all__ = [
    "EmulatorConfig",
    "EmulatorServer",
    "FaultConfig",
    "FaultInjector",
    "ManualClock",
    "MonotonicClock",
]
