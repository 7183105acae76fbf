"""Settings of the emulator. Read on every request, so a test may change them while it runs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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
    :param processing_seconds: how long a job then stays ``active``/``generating``.
    :param retention_seconds: how long a job can be fetched after its creation (404 afterwards).
    :param fetch_style: ``legacy`` answers ``{status, result}``; ``universal`` answers the newer
        ``{id, status, output, error}``.
    :param max_upload_bytes: larger uploads or URL downloads are refused with 413.
    :param max_json_bytes: larger JSON or url-encoded bodies are refused with 413.
    :param url_timeout_seconds: socket timeout when downloading audio from a loopback URL.
    :param nominal_duration_seconds: duration reported when a URL source gives no audio at all.
    :param temp_dir: where uploads are spooled while they are hashed; None means the system's.
    """

    api_key: str = DEFAULT_API_KEY
    transcripts_dir: Path | None = None
    queued_seconds: float = 1.0
    processing_seconds: float = 2.0
    retention_seconds: float = 3600.0
    fetch_style: FetchStyle = "legacy"
    max_upload_bytes: int = 2 * 1024**3
    max_json_bytes: int = 1024**2
    url_timeout_seconds: float = 10.0
    nominal_duration_seconds: float = 10.0
    temp_dir: Path | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise ValueError naming the first setting that cannot work.

        :raises ValueError: for an empty key, a negative duration or an unknown fetch style.
        """
        if not self.api_key:
            raise ValueError("api_key: must not be empty")
        for name in ("queued_seconds", "processing_seconds", "retention_seconds", "nominal_duration_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name}: must be 0 or more, got {getattr(self, name)!r}")
        for name in ("max_upload_bytes", "max_json_bytes", "url_timeout_seconds"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name}: must be more than 0, got {getattr(self, name)!r}")
        if self.fetch_style not in FETCH_STYLES:
            raise ValueError(
                f"fetch_style: must be one of {', '.join(FETCH_STYLES)}, got {self.fetch_style!r}"
            )
        if self.transcripts_dir is not None:
            self.transcripts_dir = Path(self.transcripts_dir)
