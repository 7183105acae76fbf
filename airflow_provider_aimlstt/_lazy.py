"""Internal: the one way a package of this provider exports names it imports on first use.

A package whose ``__init__`` must stay light (a DAG file imports it, or one of its submodules,
when the DAG is parsed) names each public name's submodule; the name is imported from there the
first time it is asked for, then kept on the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    package: str, homes: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's ``__getattr__`` and ``__dir__``.

    :param package: the package's ``__name__``.
    :param homes: each public name, with the submodule (relative to the package) that holds it.
    """

    def __getattr__(name: str) -> Any:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
        setattr(sys.modules[package], name, value)  # asked once: later lookups skip this function
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *homes})

    return __getattr__, __dir__
