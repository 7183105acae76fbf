"""URIs handed from one task to another keep the store's connection: another worker opens the same object."""

from __future__ import annotations

from pathlib import Path

from airflow.providers.common.compat.sdk import ObjectStoragePath

from airflow_provider_aimlstt.batch.manifest import manifest_location
from airflow_provider_aimlstt.outputs.storage import (
    address_of,
    conn_id_of,
    resolve_folder,
    uri_of,
    with_conn_id,
)


def test_an_address_keeps_the_connection_that_a_plain_uri_leaves_out() -> None:
    path = ObjectStoragePath("s3://aws_lake@bucket/out/a.json")

    assert uri_of(path) == "s3://bucket/out/a.json"
    assert address_of(path) == "s3://aws_lake@bucket/out/a.json"
    assert conn_id_of(resolve_folder(address_of(path), None)) == "aws_lake"


def test_local_paths_and_paths_without_a_connection_have_plain_addresses(tmp_path: Path) -> None:
    assert address_of(resolve_folder(tmp_path, None)) == tmp_path.as_uri()
    assert address_of(ObjectStoragePath("s3://bucket/out")) == "s3://bucket/out"
    assert with_conn_id("file:///data/a.wav", "ignored") == "file:///data/a.wav"


def test_a_manifest_on_a_store_named_by_a_connection_is_found_again_through_it() -> None:
    location = manifest_location("s3://aws_lake@bucket/out", None, "dag", "run 1", "transcribe", 0)

    assert location == "s3://aws_lake@bucket/out/_manifests/dag__run_1__transcribe__0.jsonl"
    assert manifest_location("s3://bucket/out", "aws_lake", "d", "r", "t", 1).startswith(
        "s3://aws_lake@bucket/"
    )
