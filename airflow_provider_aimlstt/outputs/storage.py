"""Where transcript files go, and how one file is put there without ever showing half of it.

The reasons for each store's way of writing are in :mod:`airflow_provider_aimlstt.outputs.writer`.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from typing import Any

from airflow.providers.common.compat.sdk import ObjectStoragePath

from airflow_provider_aimlstt.exceptions import AimlSttValidationError
from airflow_provider_aimlstt.version_compat import AIRFLOW_V_3_2_PLUS

WHOLE_OBJECT_PROTOCOLS: frozenset[str] = frozenset(
    {"s3", "s3a", "gs", "gcs", "abfs", "abfss", "az", "memory"}
)
"""Stores where a written object appears whole or not at all: written directly, no temporary."""

LOCAL_PROTOCOLS: frozenset[str] = frozenset({"file", "local"})
"""Local folders: temporary sibling, then ``os.replace``."""

_NO_CONN_PROTOCOLS = LOCAL_PROTOCOLS | {"memory"}


def resolve_folder(output_path: object, output_conn_id: str | None) -> ObjectStoragePath:
    """The folder as an ``ObjectStoragePath``: plain paths become absolute ``file://`` paths.

    :param output_path: an ``ObjectStoragePath``, a URI, or a local path (``str`` or ``os.PathLike``).
    :param output_conn_id: the Airflow connection of a remote store (not used for local and memory folders).
    :raises AimlSttValidationError: ``output_path: ...`` when it names no usable folder.
    """
    if isinstance(output_path, ObjectStoragePath):
        if not output_path.protocol:
            return ObjectStoragePath(output_path.path, protocol="file")
        if (
            output_conn_id is None
            or conn_id_of(output_path) == output_conn_id
            or output_path.protocol in _NO_CONN_PROTOCOLS
        ):
            return output_path
        own_conn_id = conn_id_of(output_path)
        if own_conn_id is not None:
            raise AimlSttValidationError(
                f"output_path: {output_path} names conn_id {own_conn_id!r}, not {output_conn_id!r}"
            )
        output_path = uri_of(output_path)
    if isinstance(output_path, os.PathLike):
        output_path = os.fspath(output_path)
    if not isinstance(output_path, str) or not output_path.strip():
        raise AimlSttValidationError(
            f"output_path: must be a folder (s3://bucket/prefix, file:///dir, a path), got {output_path!r}"
        )
    if "://" not in output_path:
        return ObjectStoragePath(os.path.expanduser(output_path), protocol="file")
    scheme, _, rest = output_path.partition("://")
    if not rest.strip("/"):
        raise AimlSttValidationError(f"output_path: {output_path!r} names no bucket or folder")
    # conn_id only when there is one: Airflow 2's ObjectStoragePath takes conn_id=None over the URI's own.
    local = output_conn_id is None or scheme.lower() in _NO_CONN_PROTOCOLS
    connection: dict[str, Any] = {} if local else {"conn_id": output_conn_id}
    try:
        return ObjectStoragePath(output_path, **connection)
    except (ValueError, TypeError) as error:
        raise AimlSttValidationError(f"output_path: {output_path!r}: {error}") from None


def conn_id_of(path: ObjectStoragePath) -> str | None:
    """The Airflow connection the path opens its store with; None for local paths and fsspec's defaults.

    Airflow 3.2's ``ObjectStoragePath`` and later have it as ``conn_id``; earlier ones keep it in their
    storage options.

    :param path: the path.
    """
    if AIRFLOW_V_3_2_PLUS:
        return path.conn_id
    conn_id: str | None = path.storage_options.get("conn_id")
    return conn_id


def filesystem_of(folder: ObjectStoragePath) -> Any:
    """The folder's fsspec filesystem: Airflow's (with the connection), else fsspec's own for the scheme.

    :param folder: the folder.
    :raises AimlSttValidationError: ``output_path: ...`` when no filesystem can serve it.
    """
    try:
        return folder.fs
    except ValueError as error:  # Airflow has no filesystem for this scheme (memory://, or no provider)
        if conn_id_of(folder):
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
    # Joined as text: a path object per file costs more than the write itself on a local disk.
    base = folder.path.rstrip("/")
    target = f"{base}/{name}"
    if folder.protocol in WHOLE_OBJECT_PROTOCOLS:
        fs.pipe_file(target, data)
        return f"{uri_of(folder).rstrip('/')}/{name}"
    temporary = f"{base}/.{name}.{secrets.token_hex(6)}.tmp"
    try:
        fs.pipe_file(temporary, data)
        if folder.protocol in LOCAL_PROTOCOLS:
            os.replace(temporary, target)
        else:
            fs.mv(temporary, target)
    except BaseException:
        with contextlib.suppress(Exception):
            if fs.exists(temporary):
                fs.rm_file(temporary)
        raise
    return f"{uri_of(folder).rstrip('/')}/{name}"


def address_of(path: ObjectStoragePath) -> str:
    """The path as a URI that opens the same object again, in another task or on another worker.

    That is :func:`uri_of` with the path's connection id as the URI's user part
    (``s3://aws_lake@bucket/key``), as ``ObjectStoragePath`` reads it; local paths have none.

    :param path: the path.
    """
    return with_conn_id(uri_of(path), conn_id_of(path))


def with_conn_id(uri: str, conn_id: str | None) -> str:
    """A store's URI with ``conn_id`` in its user part; local URIs, and no ``conn_id``, as they are.

    :param uri: the URI, without a connection id.
    :param conn_id: the Airflow connection of its store.
    """
    if not conn_id or "://" not in uri or uri.startswith("file:"):
        return uri
    scheme, _, rest = uri.partition("://")
    return f"{scheme}://{conn_id}@{rest}"


def uri_of(path: ObjectStoragePath) -> str:
    """The path as a plain URI, without the conn_id: ``file:///d/a.srt``, ``s3://bucket/key``.

    :param path: the path.
    """
    protocol = path.protocol or "file"
    separator = ":///" if protocol in LOCAL_PROTOCOLS else "://"
    return f"{protocol}{separator}{path.path.lstrip('/')}"
