"""Generate the create options of every model from the API's own schemas.

Reads every ``emulator/aimlstt_emulator/api_schemas/create/*.json`` (the repository's one copy of
the API's schemas, shipped with the emulator) and the model registry
(``models/families.py``: ``KNOWN_MODELS``, ``SCHEMA_ALIASES``); writes
``airflow_provider_aimlstt/models/options.py`` and the model table of ``docs/models.md``::

    .venv/bin/python scripts/generate_option_models.py          # write both
    .venv/bin/python scripts/generate_option_models.py --check  # exit 1 when either is out of date

Each schema property but ``model``, ``url``, ``audio`` and ``file`` (the audio source) is an
option. Models whose schemas have the same option names and types share one class (descriptions
may differ: the class takes those of its first page). A schema's ``nullable`` is dropped: every
option may be None, which is never sent. A keyword this script does not understand stops it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import keyword
import re
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "airflow_provider_aimlstt"
# The one copy of the API's schemas: the emulator's package data (scripts/import_api_schemas.py).
CREATE_SCHEMAS = REPO / "emulator" / "aimlstt_emulator" / "api_schemas" / "create"
REGISTRY = PACKAGE / "models" / "families.py"
OPTIONS_MODULE = PACKAGE / "models" / "options.py"
MODELS_PAGE = REPO / "docs" / "models.md"
TABLE_BEGIN = "<!-- model-table:begin (scripts/generate_option_models.py writes this table) -->"
TABLE_END = "<!-- model-table:end -->"
SOURCE_FIELDS = ("model", "url", "audio", "file")
ANNOTATIONS = frozenset({"description", "default", "example", "title", "format"})
SHAPES = frozenset({"type", "nullable", "enum", "anyOf", "items", "properties", "required"})
BOUNDS = {"minimum": "ge", "maximum": "le", "minLength": "min_length", "maxLength": "max_length"}
BOUNDS |= {"minItems": "min_length", "maxItems": "max_length"}
EXCLUSIVE = {"minimum": ("exclusiveMinimum", "gt"), "maximum": ("exclusiveMaximum", "lt")}
SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
LINE = 110
INLINE_LITERAL = 60


class GeneratorError(Exception):
    """The schemas or the registry cannot be turned into options classes."""


@dataclass(frozen=True)
class Page:
    """The create schema of one model page.

    :param name: the file name without ``speech-models_`` and ``.json``, such as ``Deepgram_nova-3``.
    :param ids: the model ids of ``properties.model.enum``.
    :param upload_field: ``file`` or ``audio``, whichever the schema names (None: neither).
    :param options: every other property, by name.
    """

    name: str
    ids: tuple[str, ...]
    upload_field: str | None
    options: dict[str, dict[str, Any]]


@dataclass
class Group:
    """Pages with one option set, the class they share, and its models with their upload fields."""

    pages: list[Page]
    name: str = ""
    models: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Generated:
    """What the generator writes: the options module and the model table of ``docs/models.md``."""

    module: str
    table: str


def read_pages(folder: Path = CREATE_SCHEMAS) -> list[Page]:
    """Read every create schema of ``folder``.

    :param folder: the ``api_schemas/create`` folder.
    """
    pages = []
    for path in sorted(folder.glob("*.json")):
        document = json.loads(path.read_text("utf-8"))
        operation = document["paths"]["/v1/stt/create"]["post"]
        schema = operation["requestBody"]["content"]["application/json"]["schema"]
        properties: dict[str, dict[str, Any]] = schema["properties"]
        named = [name for name in ("file", "audio") if name in properties]
        if len(named) > 1:
            raise GeneratorError(f"{path.name}: names both 'file' and 'audio' as the upload field")
        options = {name: value for name, value in properties.items() if name not in SOURCE_FIELDS}
        name = path.stem.removeprefix("speech-models_")
        pages.append(Page(name, tuple(properties["model"]["enum"]), named[0] if named else None, options))
    return pages


def load_registry(path: Path = REGISTRY) -> ModuleType:
    """Load the registry from its file, so that a missing or broken options module cannot stop this.

    :param path: ``models/families.py``.
    """
    spec = importlib.util.spec_from_file_location("_aimlstt_model_registry", path)
    if spec is None or spec.loader is None:
        raise GeneratorError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def shape(schema: dict[str, Any], top: bool = True) -> Any:
    """The part of a property schema that decides what a value may be (what classes are shared by).

    :param schema: a property schema.
    :param top: whether ``schema`` is an option itself (or one choice of it), where None is always
        allowed and ``nullable`` means nothing.
    """
    unknown = set(schema) - ANNOTATIONS - SHAPES - set(BOUNDS) - {"exclusiveMinimum", "exclusiveMaximum"}
    if unknown:
        raise GeneratorError(f"unsupported schema keywords {sorted(unknown)} in {schema}")
    kept: dict[str, Any] = {}
    for key, value in schema.items():
        if key in ANNOTATIONS or (top and key == "nullable"):
            continue
        if key == "anyOf":
            value = [shape(choice, top) for choice in value]
        elif key == "items":
            value = shape(value, top=False)
        elif key == "properties":
            value = {name: shape(item, top=False) for name, item in value.items()}
        kept[key] = value
    return kept


def _signature(page: Page) -> str:
    return json.dumps({name: shape(value) for name, value in page.options.items()}, sort_keys=True)


def _tokens(text: str) -> list[str]:
    return [token for token in re.split(r"[^A-Za-z0-9]+", text) if token]


def _camel(tokens: list[str]) -> str:
    return "".join(token[0].upper() + token[1:] for token in tokens)


def _class_name(pages: list[Page]) -> str:
    """``<words common to the page names>Options``; the first page's words when only the vendor is common."""
    words = [_tokens(page.name) for page in pages]
    common: list[str] = []
    for column in zip(*words, strict=False):
        if len(set(column)) > 1:
            break
        common.append(column[0])
    return _camel(common if len(common) >= 2 else words[0]) + "Options"


def group_pages(pages: list[Page], registry: ModuleType) -> list[Group]:
    """Group pages by option set, name the groups and give each its model ids, in registry order.

    :param pages: every create schema.
    :param registry: the loaded ``models/families.py``.
    """
    known: dict[str, Any] = registry.KNOWN_MODELS
    aliases: dict[str, str] = registry.SCHEMA_ALIASES
    by_signature: dict[str, Group] = {}
    owner: dict[str, tuple[Group, Page]] = {}
    for page in sorted(pages, key=lambda page: (len(page.name), page.name)):
        group = by_signature.setdefault(_signature(page), Group([]))
        group.pages.append(page)
        for model in page.ids:
            if model not in known:
                raise GeneratorError(
                    f"model {model!r} of {page.name}.json is not registered: add it and its family to "
                    "KNOWN_MODELS in models/families.py"
                )
            owner[model] = (group, page)
    for alias, target in aliases.items():
        if alias in owner:
            raise GeneratorError(f"{alias!r} has a schema of its own: drop it from SCHEMA_ALIASES")
        if target not in owner or alias not in known:
            raise GeneratorError(
                f"alias {alias!r} -> {target!r}: both must be registered, the target in a schema"
            )
        owner[alias] = owner[target]
    for model in known:
        if model not in owner:
            raise GeneratorError(f"{model!r} is registered, but no create schema lists it and it is no alias")
        group, page = owner[model]
        group.models[model] = page.upload_field or known[model].upload_field
    groups = sorted(by_signature.values(), key=lambda group: list(known).index(next(iter(group.models))))
    for group in groups:
        group.name = _class_name(group.pages)
    names = [group.name for group in groups]
    if len(set(names)) < len(names) or set(names) & set(getattr(registry, "_DEPRECATED_OPTIONS", {})):
        raise GeneratorError(f"class names collide: {names}")
    return groups


def _literal(text: str) -> str:
    """A Python string literal, quoted as ruff format quotes it (double, unless that needs more escapes)."""
    if text.count('"') > text.count("'"):
        return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return json.dumps(text, ensure_ascii=False)


def _python_name(name: str) -> str:
    safe = re.sub(r"\W", "_", name)
    if not safe or safe[0].isdigit() or safe.startswith("_"):
        safe = "option_" + safe.lstrip("_")
    if keyword.iskeyword(safe) or hasattr(BaseModel, safe):
        safe += "_"
    return safe


class ClassWriter:
    """Renders the classes of one option set; enum aliases go to the module, shared by every class.

    :param aliases: the module's ``Literal`` aliases, by name (filled in as they are needed).
    """

    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.blocks: list[str] = []

    def type_of(self, schema: dict[str, Any], path: list[str], top: bool) -> tuple[str, list[str]]:
        """A property schema as a Python type, and its bounds as ``Field`` arguments.

        :param schema: the property schema.
        :param path: words naming it, for the names of nested classes and aliases.
        :param top: whether it is an option itself (or one choice of it): then ``nullable`` is moot.
        """
        bounds = [f"{BOUNDS[key]}={schema[key]!r}" for key in BOUNDS if key in schema]
        for key, (flag, argument) in EXCLUSIVE.items():
            if schema.get(flag) is True and key in schema:
                bounds = [bound.replace(f"{BOUNDS[key]}=", f"{argument}=") for bound in bounds]
        if "anyOf" in schema:
            if bounds:
                raise GeneratorError(f"{'.'.join(path)}: bounds beside anyOf are not supported")
            choices = [c for c in schema["anyOf"] if set(c) - ANNOTATIONS - {"nullable"}]
            parts = [self.inline(choice, path, top) for choice in choices]
            expression = " | ".join(dict.fromkeys(parts))
            if len(choices) < len(schema["anyOf"]) and not top:
                expression += " | None"
        elif "enum" in schema:
            expression = self.enum(schema["enum"], path)
        elif schema.get("type") in SCALARS:
            expression = SCALARS[schema["type"]]
        elif schema.get("type") == "array" and "items" in schema:
            expression = f"list[{self.inline(schema['items'], [*path, 'item'], top=False)}]"
        elif schema.get("type") == "object" and "properties" in schema:
            expression = self.nested(schema, path)
        else:
            raise GeneratorError(f"{'.'.join(path)}: cannot turn {schema} into a type")
        if schema.get("nullable") and not top:
            expression += " | None"
        return expression, bounds

    def inline(self, schema: dict[str, Any], path: list[str], top: bool) -> str:
        """A type with its bounds inside it (``Annotated``), for a list item or one choice of several."""
        expression, bounds = self.type_of(schema, path, top)
        return f"Annotated[{expression}, Field({', '.join(bounds)})]" if bounds else expression

    def enum(self, values: list[Any], path: list[str]) -> str:
        """``Literal[...]``, or an alias of it when that is long."""
        inline = "Literal[" + ", ".join(_literal(v) if isinstance(v, str) else repr(v) for v in values) + "]"
        if len(inline) <= INLINE_LITERAL:
            return inline
        name = _camel(_tokens(" ".join(path[1:])))
        while self.aliases.get(name, inline) != inline:
            name += "Value"
        self.aliases[name] = inline
        return name

    def nested(self, schema: dict[str, Any], path: list[str]) -> str:
        """A class for an object property; its block precedes the options class."""
        name = _camel([token for word in path for token in _tokens(word)])
        required = set(schema.get("required", ()))
        body = [
            self.field(key, value, [*path, key], key in required)
            for key, value in schema["properties"].items()
        ]
        what = "An item of" if path[-1] == "item" else "The value of"
        self.blocks.append(_class_block(name, f"{what} ``{path[1]}``.", body))
        return name

    def field(self, name: str, schema: dict[str, Any], path: list[str], required: bool = False) -> str:
        """The line(s) of one field: its type, default, alias, bounds and description."""
        expression, bounds = self.type_of(schema, path, top=not required)
        python = _python_name(name)
        arguments = [] if required else ["default=None"]
        arguments += [f"alias={_literal(name)}"] if python != name else []
        arguments += bounds
        description = " ".join(str(schema.get("description") or "").split())
        head = f"    {python}: {expression}{'' if required else ' | None'}"
        if not arguments and not description:
            return head
        if arguments == ["default=None"] and not description:
            return f"{head} = None"
        described = [*arguments, f"description={_literal(description)}"] if description else arguments
        one_line = f"{head} = Field({', '.join(described)})"
        if len(one_line) <= LINE:
            return one_line
        lines = [f"{head} = Field(", *(f"        {argument}," for argument in arguments)]
        if description:
            literal = f"        description={_literal(description)},"
            lines += [literal] if len(literal) <= LINE else _wrapped_description(description)
        return "\n".join([*lines, "    )"])


def _wrapped_description(text: str) -> list[str]:
    chunks = [""]
    for word in re.findall(r"\S+\s*", text):
        if chunks[-1] and len(_literal(chunks[-1] + word)) > LINE - 12:
            chunks.append("")
        chunks[-1] += word
    return ["        description=(", *(f"            {_literal(chunk)}" for chunk in chunks), "        ),"]


def _docstring(text: str, indent: str = "    ") -> str:
    one_line = f'{indent}"""{text}"""'
    if "\n" not in text and len(one_line) <= LINE:
        return one_line
    lines: list[str] = []
    for number, paragraph in enumerate(text.split("\n\n")):
        start = '"""' if number == 0 else ""
        wrapped = textwrap.wrap(paragraph, LINE - len(indent), initial_indent=start, break_on_hyphens=False)
        lines += [""] * (number > 0) + wrapped
    return "\n".join(f"{indent}{line}" if line else "" for line in lines) + f'\n{indent}"""'


def _class_block(name: str, doc: str, fields: list[str]) -> str:
    return "\n".join([f"class {name}(ApiOptions):", _docstring(doc), *([""] if fields else []), *fields])


def render_module(groups: list[Group], registry: ModuleType) -> str:
    """The text of ``models/options.py``.

    :param groups: the option sets, named, with their models.
    :param registry: the loaded ``models/families.py``.
    """
    aliases: dict[str, str] = {}
    blocks: list[str] = []
    for group in groups:
        writer = ClassWriter(aliases)
        first = group.pages[0]
        base = group.name.removesuffix("Options")
        fields = [writer.field(name, schema, [base, name]) for name, schema in first.options.items()]
        pages = ", ".join(sorted(f"{page.name}.json" for page in group.pages))
        doc = f"Create options of {', '.join(group.models)}.\n\nFrom {pages}"
        doc += "." if len(group.pages) == 1 else f" (same options; the descriptions are {first.name}'s)."
        if not fields:
            doc += " The schema has no option beyond the model and the audio."
        blocks += [*writer.blocks, _class_block(group.name, doc, fields)]
    class_of = {model: group.name for group in groups for model in group.models}
    upload = {model: field for group in groups for model, field in group.models.items()}
    header = [
        '"""The create options of every model, one class per option set.',
        "",
        "Generated by scripts/generate_option_models.py from api_schemas/create/*.json and the registry in",
        "models/families.py: do not edit; change the schemas or the registry and run the script again.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
        "from typing import Annotated, Literal"
        if "Annotated[" in "".join(blocks)
        else "from typing import Literal",
        "",
        "from pydantic import Field",
        "",
        "from airflow_provider_aimlstt.models.option_base import ApiOptions",
    ]
    # isort wants one blank line between the imports and an assignment, formatting two before a class.
    if aliases:
        header += ["", *"\n\n".join(_alias(name, value) for name, value in aliases.items()).splitlines()]
    maps = [
        "# The options class of every registered model id.",
        "OPTIONS_BY_MODEL: dict[str, type[ApiOptions]] = {",
        *(f"    {_literal(model)}: {class_of[model]}," for model in registry.KNOWN_MODELS),
        "}",
        "",
        "# The multipart field of an upload: the one the schema names (`file`, `audio`), else the family's.",
        "UPLOAD_FIELD_BY_MODEL: dict[str, str] = {",
        *(f"    {_literal(model)}: {_literal(upload[model])}," for model in registry.KNOWN_MODELS),
        "}",
    ]
    parts = ["\n".join(header), *blocks, "\n".join(maps)]
    return "\n\n\n".join(parts) + "\n"


def _alias(name: str, inline: str) -> str:
    if len(f"{name} = {inline}") <= LINE:
        return f"{name} = {inline}"
    values = inline.removeprefix("Literal[").removesuffix("]").split(", ")
    return "\n".join([f"{name} = Literal[", *(f"    {value}," for value in values), "]"])


def render_table(groups: list[Group], registry: ModuleType) -> str:
    """The model table of ``docs/models.md`` (between its markers), and the prefixes of ids it lacks.

    :param groups: the option sets, named, with their models.
    :param registry: the loaded ``models/families.py``.
    """
    catalog = {model: (group.name, field) for group in groups for model, field in group.models.items()}
    rows = ["| model | family | upload field | word timings | options class |", "|---|---|---|---|---|"]
    for model, family in registry.KNOWN_MODELS.items():
        name, upload = catalog[model]
        timings = "yes" if family.gives_word_timings else "no"
        rows.append(f"| `{model}` | {family.value} | `{upload}` | {timings} | `{name}` |")
    prefixes = ", ".join(f"`{prefix}` {family.value}" for prefix, family in registry.FAMILY_PREFIXES)
    rows += ["", f"Families of ids the table lacks, by prefix: {prefixes}."]
    return "\n".join(rows)


def generate(schemas: Path = CREATE_SCHEMAS, registry_path: Path = REGISTRY) -> Generated:
    """Generate the options module and the model table in memory.

    :param schemas: the ``api_schemas/create`` folder.
    :param registry_path: ``models/families.py``.
    """
    registry = load_registry(registry_path)
    groups = group_pages(read_pages(schemas), registry)
    return Generated(render_module(groups, registry), render_table(groups, registry))


def page_with_table(page: str, table: str) -> str:
    """The models page with ``table`` between its markers.

    :param page: the text of ``docs/models.md``.
    :param table: the table, as :func:`render_table` gives it.
    """
    if page.count(TABLE_BEGIN) != 1 or page.count(TABLE_END) != 1:
        raise GeneratorError(f"docs/models.md needs one {TABLE_BEGIN} and one {TABLE_END} line")
    before, rest = page.split(TABLE_BEGIN)
    _, after = rest.split(TABLE_END)
    return f"{before}{TABLE_BEGIN}\n{table}\n{TABLE_END}{after}"


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: write the files, or with ``--check`` report whether they are current."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="change nothing; exit 1 when a file is stale")
    arguments = parser.parse_args(argv)
    try:
        generated = generate()
        page = MODELS_PAGE.read_text("utf-8")
        wanted = {OPTIONS_MODULE: generated.module, MODELS_PAGE: page_with_table(page, generated.table)}
    except GeneratorError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text("utf-8") != text]
    for path in stale:
        if arguments.check:
            print(f"out of date: {path.relative_to(REPO)} (run scripts/generate_option_models.py)")
        else:
            path.write_text(wanted[path], "utf-8")
            print(f"wrote {path.relative_to(REPO)}")
    return 1 if arguments.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
