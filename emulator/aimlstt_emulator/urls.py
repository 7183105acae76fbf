"""The route table: each path, the handler of each method it answers, and the API's name for it.

The speech-to-text paths are the API documents' (:mod:`.api_paths`); ``/v2/logs`` comes from the
usage-logs page. Every API route needs the key; only those named in
:data:`~aimlstt_emulator.faults.FAULT_ROUTES` (``create``, ``fetch``) can be
faulted, so ``logs`` never is. The ``/_emulator/*`` control routes need no key and are never faulted.
"""

from __future__ import annotations

from aimlstt_emulator.api_paths import CREATE_PATH, FETCH_PATH
from aimlstt_emulator.responses import EmulatorRequestHandler
from aimlstt_emulator.routing import Route, RouteTable

LOGS_PATH = "/v2/logs"
STATS_PATH = "/_emulator/stats"
FAULTS_PATH = "/_emulator/faults"

ROUTES = RouteTable(
    [
        Route(CREATE_PATH, {"POST": EmulatorRequestHandler.create}, api_name="create"),
        Route(FETCH_PATH, {"GET": EmulatorRequestHandler.fetch}, api_name="fetch"),
        Route(LOGS_PATH, {"GET": EmulatorRequestHandler.logs}, api_name="logs"),
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
