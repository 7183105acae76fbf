"""A local emulator of the AI/ML API speech-to-text service, for tests, demos and CI.

It imports no Airflow module, so it starts fast wherever the provider's light dependencies are
installed. Run it with ``aimlstt-emulator`` / ``python -m airflow_provider_aimlstt.emulator``, or
in-process::

    from airflow_provider_aimlstt.emulator import EmulatorConfig, EmulatorServer

    with EmulatorServer(EmulatorConfig(api_key="emulator-key")) as server:
        ...  # point the client at server.base_url
        server.faults.set(FaultConfig(rate_limit=0.2, seed=1))  # see the faults module
"""

from airflow_provider_aimlstt.emulator.config import EmulatorConfig
from airflow_provider_aimlstt.emulator.faults import FaultConfig, FaultInjector
from airflow_provider_aimlstt.emulator.server import EmulatorServer

__all__ = ["EmulatorConfig", "EmulatorServer", "FaultConfig", "FaultInjector"]
