"""OpenLineage lineage of a transcription: the audio is the input dataset, each written transcript an output.

Active only with the OpenLineage provider (``apache-airflow-providers-openlineage``) installed: its
imports happen inside the functions, and without it the facet methods return None.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, unquote, urlsplit

if TYPE_CHECKING:
    from airflow.providers.common.compat.openlineage.facet import Dataset
    from airflow.providers.openlineage.extractors import OperatorLineage

log = logging.getLogger(__name__)

_BUCKET_SCHEMES = {"s3": "s3", "s3a": "s3", "s3n": "s3", "gs": "gs", "gcs": "gs"}
_DEFAULT_PORTS = {"http": 80, "https": 443}


def dataset_for(location: str) -> Dataset:
    """The OpenLineage dataset of an audio source or a written file, named by OpenLineage's conventions.

    - a local path, ``file:/path`` or ``file:///path``: namespace ``file``, name the absolute path;
      ``file://host/path`` names a remote file system, namespace ``file://host``;
    - ``s3://bucket/key`` (or ``s3a``, ``s3n``): namespace ``s3://bucket``, name the key, ``/`` for
      the bucket itself; ``gs://`` and ``gcs://`` alike, with namespace ``gs://bucket``;
    - any other URI, http(s) among them: namespace ``scheme://host[:port]`` (without a default
      port), name the path. Credentials, the query string (it may hold a signed token) and the
      fragment never become part of a name.

    :param location: a local path or a URI.
    :raises ValueError: for an empty location, or a URI without a bucket or host.
    :raises ImportError: without the OpenLineage client library.
    """
    from airflow.providers.common.compat.openlineage.facet import Dataset
    from openlineage.client.naming import dataset as naming

    location = location.strip()
    if not location:
        raise ValueError("An empty location has no OpenLineage dataset")
    if "://" not in location and not location.startswith("file:"):
        local = naming.LocalFileSystem(path=os.path.abspath(location))
        return Dataset(namespace=local.get_namespace(), name=local.get_name())
    parts = urlsplit(location)
    scheme = parts.scheme.lower()
    where: naming.DatasetNaming
    if scheme == "file":
        path = unquote(parts.path) or "/"
        if parts.hostname and parts.hostname != "localhost":
            where = naming.RemoteFileSystem(host=parts.hostname, path=path)
        else:
            where = naming.LocalFileSystem(path=os.path.abspath(path))
    elif scheme in _BUCKET_SCHEMES:
        if not parts.hostname:
            raise ValueError(f"{scheme}:// location names no bucket")
        key = parts.path.lstrip("/") or "/"
        bucket_naming = naming.S3 if _BUCKET_SCHEMES[scheme] == "s3" else naming.GCS
        where = bucket_naming(bucket_name=parts.hostname, object_key=key)
    else:  # OpenLineage has no helper for these: the spec's general rule, scheme://authority + path
        return Dataset(namespace=_authority(scheme, parts), name=parts.path or "/")
    return Dataset(namespace=where.get_namespace(), name=where.get_name())


def _authority(scheme: str, parts: SplitResult) -> str:
    """``scheme://host[:port]`` without credentials and without the scheme's default port."""
    host = parts.hostname
    if not host:
        raise ValueError(f"{scheme}:// location names no host")
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return f"{scheme}://{host}"


class TranscriptionLineageMixin:
    """Reports a transcription's lineage to OpenLineage: the audio as input, the transcripts as outputs.

    Mix it in before ``BaseOperator``. The provider's default extractor calls the
    ``get_openlineage_facets_on_*`` methods, which read:

    - ``lineage_audio_fields``: the (rendered) fields holding the audio source, the first
      non-empty one: an http(s) URL, a local path, an object storage URI such as
      ``s3://bucket/key.wav`` or ``file:///x.wav``, or an ``ObjectStoragePath``. Rendered fields
      are there at the start, at the end, and after a deferral, so nothing else is recorded.
    - ``lineage_outputs``: the URIs (or paths) of the transcript files written, set by the method
      that ends the task; each instance's own list, to append to or to assign.
    """

    lineage_audio_fields: tuple[str, ...] = ()

    @property
    def lineage_outputs(self) -> list[str]:
        """The transcript files written by this task instance (a fresh list for each instance)."""
        outputs: list[str] = self.__dict__.setdefault("_lineage_outputs", [])
        return outputs

    @lineage_outputs.setter
    def lineage_outputs(self, value: list[str]) -> None:
        self.__dict__["_lineage_outputs"] = list(value)

    def get_openlineage_facets_on_start(self) -> OperatorLineage | None:
        """The lineage known when the task starts: the audio input, if known yet, and no outputs."""
        return self._operator_lineage(with_outputs=False)

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage | None:
        """The lineage of the finished task: the audio input and one output per transcript written.

        :param task_instance: the finished task instance (unused: the operator holds what it recorded).
        """
        return self._operator_lineage(with_outputs=True)

    def _audio_location(self) -> str | None:
        for field in self.lineage_audio_fields:
            value = getattr(self, field, None)
            if value is not None and str(value).strip():
                return str(value)
        return None

    def _operator_lineage(self, *, with_outputs: bool) -> OperatorLineage | None:
        try:
            from airflow.providers.openlineage.extractors import OperatorLineage

            audio = self._audio_location()
            inputs = _datasets([audio] if audio else [])
            outputs = _datasets(self.lineage_outputs) if with_outputs else []
            return OperatorLineage(inputs=inputs, outputs=outputs)
        except ImportError:
            log.debug("The OpenLineage provider is not installed; no lineage to report")
        except Exception:  # lineage must never fail the task
            log.warning("Could not build the OpenLineage lineage of the transcription", exc_info=True)
        return None


def _datasets(locations: list[str]) -> list[Dataset]:
    """One dataset per distinct location, in order; a location that cannot be named is left out."""
    found: dict[tuple[str, str], Dataset] = {}
    for location in locations:
        try:
            dataset = dataset_for(str(location))
        except ValueError as exc:
            parts = urlsplit(str(location))  # logged without credentials, query string or fragment
            shown = f"{parts.scheme}://{parts.hostname or ''}{parts.path}" if parts.scheme else parts.path
            log.warning("No OpenLineage dataset for %r: %s", shown, exc)
            continue
        found.setdefault((dataset.namespace, dataset.name), dataset)
    return list(found.values())
