"""Where transcript files go, and how one file is put there without ever showing half of it.

The reasons for each store's way of writing are in :mod:`airflow_provider_aimlstt.outputs`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Any

from airflow.sdk import ObjectStoragePath

from airflow_provider_aimlstt.exceptions import AimlSttValidationError

WHOLE_OBJECT_PROTOCOLS: frozenset[str] = frozenset(
    {"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "memory"}
)
"""Stores where a written object appears whole or not at all: written directly, no temporary."""

LOCAL_PROTOCOLS: frozenset[str] = frozenset({"file", "local"})
"""Local folders: temporary sibling, then ``os.replace``."""

_NO_CONN_PROTOCOLS = LOCAL_PROTOCOLS | {"memory"}


def resolve_folder(directory: object, conn_id: str | None) -> ObjectStoragePath:
    """The folder as an ``ObjectStoragePath``: plain paths become absolute ``file://`` paths.

    :param directory: an ``ObjectStoragePath``, a URI, or a local path (``str`` or ``os.PathLike``).
    :param conn_id: the Airflow connection of a remote store (not used for local and memory folders).
    :raises AimlSttValidationError: ``output_path: ...`` when it names no usable folder.
    """
    if isinstance(directory, ObjectStoragePath):
        if not directory.protocol:
            return ObjectStoragePath(directory.path, protocol="file")
        if conn_id is None or directory.conn_id == conn_id or directory.protocol in _NO_CONN_PROTOCOLS:
            return directory
        if directory.conn_id is not None:
            raise AimlSttValidationError(
                f"output_path: {directory} names conn_id {directory.conn_id!r}, not {conn_id!r}"
            )
        directory = uri_of(directory)
    if isinstance(directory, os.PathLike):
        directory = os.fspath(directory)
    if not isinstance(directory, str) or not directory.strip():
        raise AimlSttValidationError(
            f"output_path: must be a folder (s3://bucket/prefix, file:///dir, a path), got {directory!r}"
        )
    if "://" not in directory:
        return ObjectStoragePath(os.path.expanduser(directory), protocol="file")
    scheme, _, rest = directory.partition("://")
    if not rest.strip("/"):
        raise AimlSttValidationError(f"output_path: {directory!r} names no bucket or folder")
    try:
        return ObjectStoragePath(directory, conn_id=None if scheme.lower() in _NO_CONN_PROTOCOLS else conn_id)
    except (ValueError, TypeError) as error:
        raise AimlSttValidationError(f"output_path: {directory!r}: {error}") from None


def filesystem_of(folder: ObjectStoragePath) -> Any:
    """The folder's fsspec filesystem: Airflow's (with the connection), else fsspec's own for the scheme.

    :param folder: the folder.
    :raises AimlSttValidationError: ``output_path: ...`` when no filesystem can serve it.
    """
    try:
        return folder.fs
    except ValueError as error:  # Airflow has no filesystem for this scheme (memory://, or no provider)
        if folder.conn_id:
            raise AimlSttValidationError(f"output_path: {error}, so conn_id cannot be used") from None
    try:  # fsspec's own, with its default credentials, as ObjectStoragePath's path methods do
        import fsspec

        return fsspec.filesystem(folder.protocol)
    except (ImportError, ValueError) as error:
        raise AimlSttValidationError(f"output_path: cannot open {folder.protocol}:// ({error})") from None


def put_file(fs: Any, folder: ObjectStoragePath, name: str, data: bytes) -> str:
    """Write ``<folder>/<name>`` whole or not at all; the URI of the file.

    :param fs: the folder's filesystem.
    :param folder: the folder (it exists, or its store needs none).
    :param name: the file's name.
    :param data: the file's bytes.
    """
    target = folder / name
    if folder.protocol in WHOLE_OBJECT_PROTOCOLS:
        fs.pipe_file(target.path, data)
        return uri_of(target)
    temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
    try:
        fs.pipe_file(temporary.path, data)
        if folder.protocol in LOCAL_PROTOCOLS:
            os.replace(temporary.path, target.path)
        else:
            fs.mv(temporary.path, target.path)
    except BaseException:
        with contextlib.suppress(Exception):
            if fs.exists(temporary.path):
                fs.rm_file(temporary.path)
        raise
    return uri_of(target)


def uri_of(path: ObjectStoragePath) -> str:
    """The path as a plain URI, without the conn_id: ``file:///d/a.srt``, ``s3://bucket/key``.

    :param path: the path.
    """
    protocol = path.protocol or "file"
    separator = ":///" if protocol in LOCAL_PROTOCOLS else "://"
    return f"{protocol}{separator}{path.path.lstrip('/')}"
