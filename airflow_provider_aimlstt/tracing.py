"""Request tracing and cost: the client request id we send, and the ids and price an answer carries.

The API stores an ``X-Client-Request-Id`` with the request, echoes it, and reports it in its usage
logs (``GET /v2/logs``) as ``client_request_id``. A value outside 1-128 characters of
``A-Z a-z 0-9 . _ : -`` is dropped without a word, so ids are always built by
:func:`client_request_id`, which hashes whatever identifies the work into that alphabet.

Every answer has ``x-inference-id`` (for a job: its generation id); JSON answers also have
``x-aimlapi-credits-used`` (an integer) and ``x-aimlapi-usd-spent`` (the same amount in USD).
No I/O here: the hook reads the headers, this module says what they mean.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict, field_serializer

CLIENT_REQUEST_ID_HEADER = "X-Client-Request-Id"
INFERENCE_ID_HEADER = "x-inference-id"
CREDITS_HEADER = "x-aimlapi-credits-used"
USD_HEADER = "x-aimlapi-usd-spent"

CLIENT_REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")
"""What the API keeps; anything else it silently drops."""
_PREFIX = "aimlstt-"
_DIGEST_CHARS = 40


def client_request_id(*parts: object) -> str:
    """A client request id that names the work: the same parts always give the same id.

    The parts (for a task: DAG id, run id, task id, map index, try number, the request's
    fingerprint) are hashed, so the id fits the API's alphabet and length whatever they hold.

    :param parts: what identifies the request; ``None`` and ``str`` parts are told apart.
    :return: ``aimlstt-`` and 40 hex digits (48 characters).
    """
    digest = hashlib.sha256()
    for part in parts:
        encoded = repr(part).encode("utf-8", "surrogatepass")
        digest.update(len(encoded).to_bytes(8, "big") + encoded)
    return _PREFIX + digest.hexdigest()[:_DIGEST_CHARS]


def is_client_request_id(value: object) -> bool:
    """True when the API would keep ``value`` as a client request id.

    :param value: a candidate id.
    """
    return isinstance(value, str) and CLIENT_REQUEST_ID_PATTERN.fullmatch(value) is not None


class Charge(BaseModel):
    """What the API charged, in credits and in USD (kept exact: ``Decimal``; a number in JSON).

    :param credits: credits used.
    :param usd: the same amount in US dollars.
    """

    model_config = ConfigDict(frozen=True)

    credits: int = 0
    usd: Decimal = Decimal(0)

    @field_serializer("usd")
    def _usd_as_number(self, usd: Decimal) -> float:
        return float(usd)

    def __add__(self, other: Charge) -> Charge:
        return Charge(credits=self.credits + other.credits, usd=self.usd + other.usd)

    @classmethod
    def total(cls, charges: Iterable[Charge | None]) -> Charge | None:
        """The sum of the known charges; None when none is known.

        :param charges: charges, None where an answer carried none.
        """
        known = [charge for charge in charges if charge is not None]
        if not known:
            return None
        total = cls()
        for charge in known:
            total += charge
        return total

    def describe(self) -> str:
        """The charge for a log line: ``$0.001240 (2480 credits)``."""
        return f"${self.usd:.6f} ({self.credits} credits)"


@dataclass(frozen=True)
class ResponseTrace:
    """The tracing and cost headers of one answer.

    :param inference_id: ``x-inference-id``, when present.
    :param client_request_id: the echoed ``x-client-request-id``, when the API kept ours.
    :param charge: the cost headers, when the answer has both.
    """

    inference_id: str | None = None
    client_request_id: str | None = None
    charge: Charge | None = None

    @classmethod
    def of(cls, headers: Mapping[str, str]) -> ResponseTrace:
        """Read the headers of an answer (names in any case); unreadable values count as absent.

        :param headers: the answer's headers.
        """
        lowered = {name.lower(): value for name, value in headers.items()}
        return cls(
            inference_id=lowered.get(INFERENCE_ID_HEADER) or None,
            client_request_id=lowered.get(CLIENT_REQUEST_ID_HEADER.lower()) or None,
            charge=_charge(lowered.get(CREDITS_HEADER), lowered.get(USD_HEADER)),
        )


def _charge(credits: str | None, usd: str | None) -> Charge | None:
    if credits is None or usd is None:
        return None
    try:
        amount = Decimal(usd.strip())
        count = int(credits.strip())
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or count < 0:
        return None
    return Charge(credits=count, usd=amount)
