"""Old module paths that still work: each forwards to the module's new home and warns once."""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from collections.abc import Callable
from typing import Any


class _CallableModule(types.ModuleType):
    """A moved module that can also be called as the function of the same name.

    ``import micrograd.compile`` makes the attribute ``micrograd.compile`` this module, where
    it was the function ``micrograd.compile``: calling it keeps working.
    """

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(self, self.__name__.rpartition(".")[2])(*args, **kwargs)


def moved(old: str, *new: str, callable_module: bool = False) -> Callable[[str], Any]:
    """Warn that ``old`` is now ``new``; returns the ``__getattr__`` that serves ``old``'s names.

    A module split in several is served from the first new module that has the name.
    """
    where = " and ".join(new)
    warnings.warn(f"{old} has moved to {where}; import it from there", DeprecationWarning, stacklevel=3)
    targets = [importlib.import_module(name) for name in new]
    if callable_module:
        sys.modules[old].__class__ = _CallableModule

    def __getattr__(name: str) -> Any:
        for target in targets:
            if hasattr(target, name):
                return getattr(target, name)
        raise AttributeError(f"module {old!r} has no attribute {name!r} (it has moved to {where})")

    return __getattr__
