"""The linker port: how an import batch's accepted rows find their people.

imports links by itself with its exact-ID linker (services.run's fallback: same ID number → that person, a valid
ID number and nobody → a new person, else the row waits for review). A higher app that links better registers
its linker here from its AppConfig.ready() (linkage registers the model's `link_import_batch`); imports then
calls it first and its own linker takes whatever rows it left pending. imports never imports the app that links.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# linker(actor=..., batch=...) → anything (its result is not used)
Linker = Callable[..., Any]

_linker: Linker | None = None


def register(linker: Linker) -> None:
    global _linker
    _linker = linker


def registered() -> Linker | None:
    """The registered linker, or None: imports' exact-ID linker alone."""
    return _linker
