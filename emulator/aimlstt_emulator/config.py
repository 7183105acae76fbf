"""Settings of the emulator. Read on every request, so a test may change them while it runs."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from aimlstt_emulator.catalog import MODEL_FAMILIES, Family

FetchStyle = Literal["legacy", "universal"]
FETCH_STYLES: tuple[FetchStyle, ...] = ("legacy", "universal")

DEFAULT_API_KEY = "emulator-key"
API_KEY_ENV_VAR = "AIMLSTT_EMULATOR_API_KEY"


@dataclass
class EmulatorConfig:
    """How the emulated API behaves.

    :param api_key: the only key accepted in ``Authorization: Bearer <key>``.
    :param transcripts_dir: folder holding ``<audio stem>.txt`` transcripts and audio files that
        URL sources may name; None means placeholder transcripts only.
    :param queued_seconds: how long a new job stays ``waiting``/``queued``.
    :param processing_seconds: how long a job then stays ``active``/``generating``, plus
        ``processing_seconds_per_audio_second`` times its audio's duration.
    :param processing_seconds_per_audio_second: extra processing time per second of audio, so long
        files take longer (0: every job takes the same time).
    :param processing_spread: each job's processing time (after its queueing) is scaled by a factor
        fixed by its id, spread evenly from ``1 - spread`` to ``1 + spread``, as a busy API's jobs
        vary (0: jobs of the same audio take the same time).
    :param max_concurrent_jobs: how many unfinished jobs (pending or running) the API key may have
        at once; a create beyond it is refused with 429 (see :mod:`.slots`). None: no limit.
    :param retention_seconds: how long a job can be fetched after its creation (404 afterwards).
    :param fetch_style: ``legacy`` answers ``{generation_id, status, result}`` (the every-model fetch
        schema); ``universal`` answers the newer ``{id, status, output, error}``.
    :param max_upload_bytes: larger uploads or URL downloads are refused with 413.
    :param max_json_bytes: larger JSON or url-encoded bodies are refused with 413.
    :param url_timeout_seconds: socket timeout when downloading audio from a loopback URL.
    :param nominal_duration_seconds: duration reported when a URL source gives no audio at all.
    :param temp_dir: where uploads are spooled while they are hashed; None means the system's.
    :param usage_log_delay_seconds: how long after its request a row shows in ``GET /v2/logs``, on
        the emulator's clock (the docs: the charge is recorded after the response); 0 for at once.
    :param prices_per_second: USD per second of audio, by model id or family name (``deepgram``,
        ``assemblyai``, ``openai``, ``microsoft``); the rest keep
        :data:`~aimlstt_emulator.billing.DEFAULT_PRICES`.
    """

    api_key: str = DEFAULT_API_KEY
    transcripts_dir: Path | None = None
    queued_seconds: float = 1.0
    processing_seconds: float = 2.0
    processing_seconds_per_audio_second: float = 0.0
    processing_spread: float = 0.0
    max_concurrent_jobs: int | None = None
    retention_seconds: float = 3600.0
    fetch_style: FetchStyle = "legacy"
    max_upload_bytes: int = 2 * 1024**3
    max_json_bytes: int = 1024**2
    url_timeout_seconds: float = 10.0
    nominal_duration_seconds: float = 10.0
    temp_dir: Path | None = None
    usage_log_delay_seconds: float = 1.0
    prices_per_second: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work.

        :raises ValueError: for an empty key, a negative duration, an unknown fetch style, a bad price
            or a concurrency limit below 1.
        """
        if not self.api_key:
            raise ValueError("api_key: must not be empty")
        for name in (
            "queued_seconds",
            "processing_seconds",
            "retention_seconds",
            "nominal_duration_seconds",
            "usage_log_delay_seconds",
        ):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be 0 or more, got {getattr(self, name)!r}")
        factor = self.processing_seconds_per_audio_second
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) or not 0 <= factor < math.inf:
            raise ValueError(f"processing_seconds_per_audio_second: must be 0 or more, got {factor!r}")
        spread = self.processing_spread
        if isinstance(spread, bool) or not isinstance(spread, (int, float)) or not 0 <= spread < 1:
            raise ValueError(f"processing_spread: must be a fraction from 0 to below 1, got {spread!r}")
        limit = self.max_concurrent_jobs
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValueError(f"max_concurrent_jobs: must be 1 or more, or None for no limit, got {limit!r}")
        for name in ("max_upload_bytes", "max_json_bytes", "url_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be more than 0, got {getattr(self, name)!r}")
        if self.fetch_style not in FETCH_STYLES:
            raise ValueError(
                f"fetch_style: must be one of {', '.join(FETCH_STYLES)}, got {self.fetch_style!r}"
            )
        if self.transcripts_dir is not None:
            self.transcripts_dir = Path(self.transcripts_dir)
        self.prices_per_second = dict(self.prices_per_second)
        families = {family.value for family in Family}
        for key, price in self.prices_per_second.items():
            if key not in MODEL_FAMILIES and key not in families:
                raise ValueError(f"prices_per_second: {key!r} is neither a model id nor a family name")
            if isinstance(price, bool) or not isinstance(price, (int, float)) or not 0 <= price < math.inf:
                raise ValueError(f"prices_per_second: the price of {key!r} must be 0 or more, got {price!r}")
