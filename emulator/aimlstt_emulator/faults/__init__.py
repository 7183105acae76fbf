"""Fault injection: rate limits, 5xx bursts, latency, dropped connections, broken JSON, failed jobs.

Switch faults on with :class:`FaultConfig` -- on the command line (``--fault-*`` flags), in-process
(``server.faults.set(...)``, ``.update(...)``, ``.clear()``) or over HTTP (``GET``/``PUT``/``PATCH``/
``DELETE /_emulator/faults``). Every probability defaults to 0, so an emulator without faults
behaves exactly as before. The semantics below are a contract: provider tests rely on them.

- Scope: only ``POST /v1/stt/create`` (route ``create``) and ``GET``/``HEAD /v1/stt/{id}``
  (route ``fetch``), as selected by ``routes``. ``GET /v2/logs``, ``/_emulator/*``, unknown paths
  and wrong methods are never faulted. Faults are decided after routing and the API key check, so
  a request with a bad key gets its 401 and no fault.
- The request body is always read to its end (or drained) before a fault answers, so a client
  uploading a file sees the answer, never a reset while it is still sending.
- Decisions, per request, in this order: latency (``latency_probability``, independent of the
  rest); then at most one answer fault: a 5xx if a burst is running, else ``rate_limit``, else
  ``server_error`` (which starts a burst of ``server_error_burst`` requests, this one included;
  each answer's code picked at random from ``server_error_codes``), else ``drop_connection``,
  else ``malformed_json``; then, for a create only, the new job's fate: ``job_error``, else
  ``job_never_finishes``.
- Create, not accepted: 429 and 503 are decided BEFORE processing. No job is made, nothing is
  counted in ``creates_by_sha256``; resubmitting is safe.
- Create, accepted but the answer is lost: every other 5xx (500, 502, 504, ...),
  ``drop_connection`` and ``malformed_json`` happen AFTER the job was made and counted. The job
  exists server-side and will complete, but the client never learns its id -- the ambiguous case
  in which a careful client must not blindly resubmit. Such an answer carries none of the real
  answer's tracing and cost headers (no ``x-inference-id``); the job's ``succeeded`` row in
  ``GET /v2/logs``, with the request's ``X-Client-Request-Id``, is how the client finds it.
- Fetch: faults replace the answer; they never change the job.
- ``malformed_json`` keeps the real answer's status (200 for a fetch, 200 or 201 for a create)
  and ``Content-Type: application/json``, and sends the real JSON cut short (never valid JSON).
- ``drop_connection`` closes the connection without sending a byte (no status line).
- ``job_error``: the job runs its normal schedule, then ends in status ``error`` with
  ``error: {name, message}``. ``job_never_finishes``: the job stays ``waiting``/``queued`` until its
  retention expires (then 404, as every job).
- Error answers carry the documented body ``{message, path, requestId, statusCode, timestamp}``;
  a 429 also has ``Retry-After``, in seconds or as an HTTP date that many seconds ahead. (The 429
  of the concurrency limit, ``EmulatorConfig.max_concurrent_jobs``, is no fault: see
  :mod:`aimlstt_emulator.slots`.)
- Bursts: :meth:`FaultInjector.update` lets a running burst finish (so ``update(server_error=0)``
  after one request gives exactly one burst); :meth:`FaultInjector.set` and ``clear`` end it.
- With a ``seed`` the decisions repeat exactly for the same sequence of requests, sent one at a
  time. :meth:`FaultInjector.set` re-seeds; ``update`` re-seeds only when it changes ``seed``.
- Faults applied are counted per kind in the stats' ``faults_by_kind``: ``rate_limit``,
  ``server_error_<code>``, ``drop_connection``, ``malformed_json``, ``latency``, ``job_error``,
  ``job_never_finishes``.
"""

from aimlstt_emulator.faults.config import FAULT_ROUTES, FaultConfig
from aimlstt_emulator.faults.injector import NO_FAULT, FaultInjector, FaultPlan

__all__ = ["FAULT_ROUTES", "NO_FAULT", "FaultConfig", "FaultInjector", "FaultPlan"]
