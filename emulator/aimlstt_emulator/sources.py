"""Where the audio of a URL source comes from, given that the emulator has no internet.

1. A loopback URL (``localhost``, ``127.0.0.0/8``, ``::1``) is downloaded, bounded in size and time.
2. Otherwise a file named like the URL's last path segment in ``transcripts_dir`` stands in for it.
3. Otherwise there is no audio: the job gets a placeholder transcript and a nominal duration.
"""

from __future__ import annotations

import ipaddress
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from aimlstt_emulator.audio import AudioSpool, StoredAudio, hash_existing_file
from aimlstt_emulator.audio_info import (
    SOURCE_URL_DOWNLOAD,
    SOURCE_URL_LOCAL_FILE,
    SOURCE_URL_NO_AUDIO,
)
from aimlstt_emulator.config import EmulatorConfig
from aimlstt_emulator.exceptions import ApiError
from aimlstt_emulator.parsing.body import CHUNK_BYTES


@dataclass(frozen=True)
class UrlAudio:
    """The audio found for a URL source.

    :param stored: the audio, or None when there is none (delete it after use).
    :param kind: one of the ``SOURCE_URL_*`` names of :mod:`.audio_info`.
    :param name: the URL's last path segment, whose stem selects the transcript file.
    :param failure: why a loopback download failed, if it did (the job then ends in ``error``).
    """

    stored: StoredAudio | None
    kind: str
    name: str
    failure: str | None = None


def url_basename(url: str) -> str:
    """The last path segment of a URL, decoded (``sample-0.mp3`` for ``https://h/a/sample-0.mp3``).

    :param url: an http(s) URL.
    """
    return PurePosixPath(unquote(urlsplit(url).path)).name


def is_loopback_host(host: str | None) -> bool:
    """True for ``localhost`` and loopback addresses, which the emulator may download from.

    :param host: a host name or address, without brackets.
    """
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def find_url_audio(url: str, config: EmulatorConfig) -> UrlAudio:
    """Find the audio of a URL source without leaving the machine.

    :param url: an http(s) URL that passed validation.
    :param config: the emulator settings (folder, size limit, timeout).
    """
    name = url_basename(url)
    if is_loopback_host(urlsplit(url).hostname):
        try:
            return UrlAudio(_download(url, config), SOURCE_URL_DOWNLOAD, name)
        except (OSError, ValueError, ApiError) as exc:
            return UrlAudio(None, SOURCE_URL_NO_AUDIO, name, f"Could not download {url}: {_reason(exc)}")
    folder = config.transcripts_dir
    if folder is not None and name and not name.startswith("."):
        candidate = Path(folder) / name
        if candidate.is_file():
            return UrlAudio(hash_existing_file(candidate), SOURCE_URL_LOCAL_FILE, name)
    return UrlAudio(None, SOURCE_URL_NO_AUDIO, name)


def _download(url: str, config: EmulatorConfig) -> StoredAudio:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    spool = AudioSpool(config.max_upload_bytes, config.temp_dir, url_basename(url) or None, None)
    try:
        with opener.open(url, timeout=config.url_timeout_seconds) as response:
            while piece := response.read(CHUNK_BYTES):
                spool.write(piece)
    except BaseException:
        spool.discard()
        raise
    return spool.finish()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"HTTP {exc.code}"
    if isinstance(exc, urllib.error.URLError):
        return str(exc.reason)
    if isinstance(exc, ApiError):
        return exc.message
    return str(exc) or type(exc).__name__
