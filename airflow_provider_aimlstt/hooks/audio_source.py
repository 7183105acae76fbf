"""The file an upload streams: a local file, or an object in any store Airflow's ObjectStoragePath reaches."""

from __future__ import annotations

import os

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.models.request import TranscriptionRequest
from airflow_provider_aimlstt.multipart import UploadFile


def upload_file_for(request: TranscriptionRequest) -> UploadFile:
    """The upload of a request's ``audio_path``, checked before anything is sent.

    A local file was checked when the request was built. An object storage URI is checked here:
    it exists, is a file, is not empty, and is within ``max_upload_bytes``.

    :param request: a validated request with an ``audio_path``.
    :raises AimlSttValidationError: naming ``audio_path`` when the object is unusable.
    """
    location = request.audio_path
    if location is None:
        raise AimlSttValidationError("audio_path: the request has no file to upload")
    if request.local_audio_path is not None:
        return UploadFile.local(request.local_audio_path)
    from airflow.sdk import ObjectStoragePath

    try:
        path = ObjectStoragePath(location)
        if not path.exists():
            raise AimlSttValidationError(f"audio_path: no such object: {location!r}")
        if not path.is_file():
            raise AimlSttValidationError(f"audio_path: is a folder, not a file: {location!r}")
        size = path.size()
    except AimlSttValidationError:
        raise
    except Exception as exc:  # the store's own errors: unknown scheme, no access, network
        raise AimlSttValidationError(
            f"audio_path: cannot read {location!r}: {type(exc).__name__}: {exc}"
        ) from None
    if size == 0:
        raise AimlSttValidationError(f"audio_path: file is empty: {location!r}")
    if request.max_upload_bytes is not None and size > request.max_upload_bytes:
        limit = request.max_upload_bytes
        raise AimlSttValidationError(
            f"audio_path: file is {size} bytes, over the limit of {limit} bytes: {location!r}"
        )
    return UploadFile(os.path.basename(path.path) or "audio", size, lambda: path.open("rb"))
