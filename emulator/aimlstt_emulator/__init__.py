"""A local emulator of the AI/ML API speech-to-text service, for tests, demos and CI.

It is a distribution of its own (``aimlstt-emulator``): it needs neither Airflow nor the provider,
only ``jsonschema`` and ``python-multipart``, so it starts fast anywhere, and users' CI installs it
with one ``pip install``. Run it with ``aimlstt-emulator`` / ``python -m aimlstt_emulator``, or
in-process::

    from aimlstt_emulator import EmulatorConfig, EmulatorServer

    with EmulatorServer(EmulatorConfig(api_key="emulator-key")) as server:
        ...  # point the client at server.base_url
        server.faults.set(FaultConfig(rate_limit=0.2, seed=1))  # see the faults package
        server.clock.advance(2.0)  # every job two seconds older, without waiting

Laid out like moto's services: ``models`` (the create, fetch and usage-log operations), ``jobs``
(the job store, every operation O(1) or O(log n) in its jobs), ``slots`` (the per-key concurrency
limit, ``max_concurrent_jobs``), ``responses`` (HTTP in and out), ``urls`` (the route table, with
the API's paths from ``api_paths``), ``exceptions`` (the error bodies), with ``catalog`` (the
models, read from the API's own create schemas, shipped as this package's data in ``api_schemas/``
and read through ``openapi``), ``parsing`` (request bodies), ``validation`` (against those
schemas), ``audio``, ``audio_info`` and ``audio_formats`` (stored uploads, their format and
duration), ``results`` (the result body of each model family), ``billing`` and ``tracing`` (the
cost and tracing headers), ``usage_log`` and ``logs_query`` (``GET /v2/logs``) and ``faults``
(fault injection). It imports nothing of the provider, and reads the API's documents as data, so
it checks the provider instead of sharing its mistakes.
"""

from aimlstt_emulator.clock import ManualClock, MonotonicClock
from aimlstt_emulator.config import EmulatorConfig
from aimlstt_emulator.faults import FaultConfig, FaultInjector
from aimlstt_emulator.server import EmulatorServer

__all__ = [
    "EmulatorConfig",
    "EmulatorServer",
    "FaultConfig",
    "FaultInjector",
    "ManualClock",
    "MonotonicClock",
]
