"""Copy the API's own OpenAPI documents into the emulator's package, the repository's one copy of them.

Run it after the API's documentation changes (a new model page, a changed option)::

    .venv/bin/python scripts/import_api_schemas.py path/to/api-docs

``path/to/api-docs`` holds the docs' files with ``/`` turned into ``_`` (as in the project's
reference folder). What lands in ``emulator/aimlstt_emulator/api_schemas/`` (package data of the
``aimlstt-emulator`` distribution, which validates requests with them;
``scripts/generate_option_models.py`` reads the create schemas there for the provider's options):

- ``create/``: every ``speech-models_<Vendor>_<model>.json``, unchanged: the create schema of a model.
- ``fetch/``: ``speech-models_universal-stt-fetch.json`` unchanged, and the speech-to-text answer of
  ``speech-models_stt-fetch-every-model.json`` (a 4 MB file of every gateway schema) cut down to
  the one component its ``GET /v1/stt/{generation_id}`` refers to.
- ``service/``: ``service-endpoints_logs-v2.json`` (``GET /v2/logs``), unchanged.

Files in ``create/`` that the docs do not have are kept (a schema written for the project from a
model page must say so in its own ``x-source``); today every one is the docs' own.
Afterwards run ``scripts/generate_option_models.py`` and register new model ids.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PACKAGE_SCHEMAS = REPO / "emulator" / "aimlstt_emulator" / "api_schemas"
EVERY_MODEL_FETCH = "speech-models_stt-fetch-every-model.json"
UNIVERSAL_FETCH = "speech-models_universal-stt-fetch.json"
USAGE_LOGS = "service-endpoints_logs-v2.json"


def _references(node: Any) -> set[str]:
    """The component names a JSON document refers to with ``#/components/schemas/...``."""
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for value in node.values():
            found |= _references(value)
        return found
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node)) if node else set()
    return set()


def stt_fetch_document(every_model: dict[str, Any]) -> dict[str, Any]:
    """The speech-to-text fetch operation of the every-model document, with only the components it uses.

    :param every_model: the parsed ``speech-models_stt-fetch-every-model.json``.
    """
    paths = {path: item for path, item in every_model["paths"].items() if path.startswith("/v1/stt/")}
    components = every_model["components"]["schemas"]
    wanted: set[str] = set()
    pending = _references(paths)
    while pending:
        name = pending.pop()
        if name not in wanted:
            wanted.add(name)
            pending |= _references(components[name])
    return {
        "openapi": every_model.get("openapi", "3.0.0"),
        "info": every_model.get("info", {}),
        "x-source": f"{EVERY_MODEL_FETCH}, cut down to the speech-to-text fetch by {Path(__file__).name}",
        "paths": paths,
        "components": {"schemas": {name: components[name] for name in sorted(wanted)}},
    }


def import_schemas(docs: Path, target: Path = PACKAGE_SCHEMAS) -> list[Path]:
    """Copy the documents into ``target``; return the files written.

    :param docs: the folder of the API's documentation files.
    :param target: the package's schema folder.
    """
    written: list[Path] = []
    for folder in ("create", "fetch", "service"):
        (target / folder).mkdir(parents=True, exist_ok=True)
    for source in sorted(docs.glob("speech-models_*_*.json")):
        if "fetch" in source.name:
            continue
        written.append(Path(shutil.copyfile(source, target / "create" / source.name)))
    written.append(Path(shutil.copyfile(docs / UNIVERSAL_FETCH, target / "fetch" / UNIVERSAL_FETCH)))
    every_model = json.loads((docs / EVERY_MODEL_FETCH).read_text("utf-8"))
    fetch = target / "fetch" / EVERY_MODEL_FETCH
    fetch.write_text(json.dumps(stt_fetch_document(every_model), indent=1) + "\n", "utf-8")
    written.append(fetch)
    written.append(Path(shutil.copyfile(docs / USAGE_LOGS, target / "service" / USAGE_LOGS)))
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", type=Path, help="folder of the API's documentation files")
    arguments = parser.parse_args(argv)
    for path in import_schemas(arguments.docs):
        print(path.relative_to(REPO))
    return 0


if __name__ == "__main__":
    sys.exit(main())
