"""The route table: each path, the handler of each method it answers, and the API's name for it.

The API's paths come from the provider's wire protocol, so both sides agree on them; the
``/_emulator/*`` control routes need no key and are never faulted.
"""

from __future__ import annotations

from airflow_provider_aimlstt.emulator.responses import EmulatorRequestHandler
from airflow_provider_aimlstt.emulator.routing import Route, RouteTable
from airflow_provider_aimlstt.protocol import CREATE_PATH, FETCH_PATH

STATS_PATH = "/_emulator/stats"
FAULTS_PATH = "/_emulator/faults"

ROUTES = RouteTable(
    [
        Route(CREATE_PATH, {"POST": EmulatorRequestHandler.create}, api_name="create"),
        Route(FETCH_PATH, {"GET": EmulatorRequestHandler.fetch}, api_name="fetch"),
        Route(STATS_PATH, {"GET": EmulatorRequestHandler.stats}),
        Route(
            FAULTS_PATH,
            {
                "GET": EmulatorRequestHandler.read_faults,
                "PUT": EmulatorRequestHandler.replace_faults,
                "PATCH": EmulatorRequestHandler.change_faults,
                "DELETE": EmulatorRequestHandler.clear_faults,
            },
        ),
    ]
)
