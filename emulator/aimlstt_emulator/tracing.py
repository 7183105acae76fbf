"""Request tracing and cost headers of the inference routes (the request-tracing-and-cost page).

- ``X-Client-Request-Id``: 1 to 128 characters of ``A-Z a-z 0-9 . _ : -``. A valid one is stored
  with the job, reported in ``/v2/logs`` and echoed as ``x-client-request-id``; any other value is
  silently dropped: the request still runs, nothing is echoed, and the logs show null.
- ``x-inference-id``: on a create, the new job's generation id (a fresh id when no job was made);
  on a poll, the polled id, left out when it does not look like one the emulator could issue.
- ``x-aimlapi-credits-used`` (an integer) and ``x-aimlapi-usd-spent`` (``0.001240000``) on every
  answer: the create that made a job bills it; polls and refused creates cost 0.
- ``Access-Control-Expose-Headers`` lists the four, so that a browser can read them.

Only the inference routes (``create`` and ``fetch``) carry them; ``/v2/logs`` is not an inference.
An answer a fault makes up or garbles after the job was made (see the faults contract) stands for
an answer lost on its way: it carries none of them but the ``Access-Control-Expose-Headers``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from aimlstt_emulator.billing import FREE, Bill

INFERENCE_ROUTES = ("create", "fetch")
CLIENT_REQUEST_ID_HEADER = "X-Client-Request-Id"
INFERENCE_ID = "x-inference-id"
CLIENT_REQUEST_ID = "x-client-request-id"
CREDITS_USED = "x-aimlapi-credits-used"
USD_SPENT = "x-aimlapi-usd-spent"
EXPOSED_HEADERS = (INFERENCE_ID, CLIENT_REQUEST_ID, CREDITS_USED, USD_SPENT)
EXPOSE_HEADER = "Access-Control-Expose-Headers"
_CLIENT_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


def valid_client_request_id(value: str | None) -> str | None:
    """The client's id if it is valid, else None (the API drops an invalid one without a word).

    :param value: the ``X-Client-Request-Id`` header, or None when absent.
    """
    if value is not None and _CLIENT_REQUEST_ID.fullmatch(value):
        return value
    return None


@dataclass
class Trace:
    """What the tracing headers of one inference answer report.

    :param client_request_id: the client's valid ``X-Client-Request-Id``, or None.
    :param inference_id: the id ``x-inference-id`` reports, or None to leave the header out.
    :param cost: what the request was charged.
    """

    client_request_id: str | None = None
    inference_id: str | None = None
    cost: Bill = FREE

    def headers(self) -> dict[str, str]:
        """The headers of an answer that reached the client as the API sent it."""
        headers = expose_headers()
        if self.inference_id is not None:
            headers[INFERENCE_ID] = self.inference_id
        if self.client_request_id is not None:
            headers[CLIENT_REQUEST_ID] = self.client_request_id
        headers[CREDITS_USED] = str(self.cost.credits)
        headers[USD_SPENT] = self.cost.usd_text
        return headers


def expose_headers() -> dict[str, str]:
    """The ``Access-Control-Expose-Headers`` header naming the four tracing headers."""
    return {EXPOSE_HEADER: ", ".join(EXPOSED_HEADERS)}
