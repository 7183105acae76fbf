"""What a create costs: per-second billing of the audio, in USD and in credits.

The model pages say transcription is billed per second of input audio, not of processing time.
The emulator bills whole seconds (at least one for any audio at all), as the mai-transcribe-1.5
page's example does (11 s of audio, ``usage: {seconds: 11, cost: 0.0011}``), at a price per
second that the settings may give per model id or per family (:data:`DEFAULT_PRICES` otherwise).
These defaults are the emulator's, not the API's price list (``GET /v1/models?include=pricing``).
Credits follow the request-tracing page's example: 2,480 credits for 0.00124 USD.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from aimlstt_emulator.catalog import Family

CREDITS_PER_USD = 2_000_000
USD_DECIMALS = 9
DEFAULT_PRICES: dict[Family, float] = {
    Family.DEEPGRAM: 0.00007,
    Family.ASSEMBLYAI: 0.00006,
    Family.OPENAI: 0.0001,
    Family.MICROSOFT: 0.0001,  # the mai-transcribe-1.5 page's example: 0.0011 USD for 11 s
}
"""USD per second of audio, per family, when the settings give no price."""


@dataclass(frozen=True)
class Bill:
    """What one request was charged.

    :param seconds: the seconds of audio billed.
    :param usd: the amount in USD, to :data:`USD_DECIMALS` places.
    :param credits: the same amount in credits.
    """

    seconds: int
    usd: Decimal
    credits: int

    @property
    def usd_text(self) -> str:
        """The amount as the ``x-aimlapi-usd-spent`` header writes it: ``0.001240000``."""
        return f"{self.usd:.{USD_DECIMALS}f}"


FREE = Bill(0, Decimal(0), 0)
"""The bill of a poll, and of a create the API refused."""


def billed_seconds(duration: float) -> int:
    """The whole seconds billed for audio of a duration: rounded, and at least 1 when there is audio.

    :param duration: the audio's length in seconds.
    """
    if not duration > 0 or not math.isfinite(duration):
        return 0
    return max(1, round(duration))


def price_per_second(model: str, family: Family, prices: Mapping[str, float]) -> float:
    """The price of a second of audio: the model's, else its family's, else the family's default.

    :param model: the model id.
    :param family: its family.
    :param prices: USD per second by model id or family name, from the settings.
    """
    for key in (model, family.value):
        if key in prices:
            return prices[key]
    return DEFAULT_PRICES[family]


def bill_audio(duration: float, price: float) -> Bill:
    """The bill of a transcription of audio of a duration at a price per second.

    :param duration: the audio's length in seconds.
    :param price: USD per second.
    """
    seconds = billed_seconds(duration)
    usd = (Decimal(repr(price)) * seconds).quantize(Decimal(1).scaleb(-USD_DECIMALS), ROUND_HALF_UP)
    credits = int((usd * CREDITS_PER_USD).to_integral_value(ROUND_HALF_UP))
    return Bill(seconds, usd, credits)
