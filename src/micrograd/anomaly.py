"""Anomaly detection: stop at the first nan or inf, and say where it came from.

    with micrograd.detect_anomaly():
        loss = model(x).log()      # AnomalyError here if log received 0 ...
        loss.backward()            # ... or here, if a derivative rule produced inf

The first operation that turns finite inputs into nan or ±inf, in the forward pass or
in a derivative rule during the backward pass, raises :class:`AnomalyError` naming the
operation, its input values, the node's label and the line of your code that created
the node. Finite inputs are the test: a nan that merely flows on from an earlier nan is
not a new anomaly, and the earlier one has already been reported.

It is off by default and costs nothing then: the engine's node constructor, its
local-gradient method are replaced by checking versions only while detection is on, and
the backward pass then runs every node's rule (where the checks are) instead of its kernel.
"""

from __future__ import annotations

import linecache
import math
import sys
from collections.abc import Callable
from contextlib import ContextDecorator
from pathlib import Path
from typing import Any

from micrograd import engine
from micrograd.engine import Value

__all__ = ["AnomalyError", "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled"]

_PACKAGE_DIR = str(Path(__file__).resolve().parent)

_unchecked_node = engine._node
_unchecked_local_grads = Value._local_grads
_kernels = engine._float_backward
_listeners: list[Callable[[bool], None]] = []
"""Other graphs' checks (``micrograd.tensor``'s), told when detection is switched on or off."""


class AnomalyError(ArithmeticError):
    """An operation turned finite numbers into nan or inf (see :func:`detect_anomaly`)."""


def _user_line() -> str:
    """``file:line: code`` of the innermost caller outside the micrograd package."""
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
    if frame is None:
        return "(unknown location)"
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    code = linecache.getline(filename, lineno).strip()
    return f"{filename}:{lineno}" + (f": {code}" if code else "")


def _number(x: Any) -> float:
    return x.data if isinstance(x, Value) else float(x)


def _describe(node: Value) -> str:
    label = f" labelled {node.label!r}" if node.label else ""
    return f"'{node._op}' node{label}"


def _checked_node(data: float, parents: tuple[Value, ...], op: Any) -> Value:
    node = _unchecked_node(data, parents, op)
    if not math.isfinite(data) and all(math.isfinite(p.data) for p in parents):
        inputs = ", ".join(repr(p.data) for p in parents)
        raise AnomalyError(
            f"forward: '{op}' produced {data!r} from finite inputs ({inputs})\n  created at {_user_line()}"
        )
    if node._prev:
        node._anomaly_origin = _user_line()  # type: ignore[attr-defined]
    return node


def _checked_local_grads(self: Value, g: Any, create_graph: bool = False) -> tuple[Any, ...]:
    grads = _unchecked_local_grads(self, g, create_graph)
    incoming = _number(g)
    if math.isfinite(incoming) and math.isfinite(self.data):
        for i, pg in enumerate(grads):
            if not math.isfinite(_number(pg)):
                inputs = ", ".join(repr(p.data) for p in self._prev)
                raise AnomalyError(
                    f"backward: the derivative rule of the {_describe(self)} gave {_number(pg)!r} "
                    f"to input {i} of {len(self._prev)}\n"
                    f"  inputs: ({inputs}), output: {self.data!r}, incoming grad: {incoming!r}\n"
                    f"  created at {getattr(self, '_anomaly_origin', '(created before anomaly detection was on)')}"
                )
    return grads


def set_detect_anomaly(enabled: bool) -> None:
    """Turn anomaly detection on or off for everything that follows."""
    if not isinstance(enabled, bool):
        raise TypeError(f"set_detect_anomaly expects True or False, got {type(enabled).__name__}")
    engine._node = _checked_node if enabled else _unchecked_node  # type: ignore[assignment]
    engine._float_backward = {} if enabled else _kernels
    Value._local_grads = _checked_local_grads if enabled else _unchecked_local_grads  # type: ignore[method-assign]
    for listener in _listeners:
        listener(enabled)


def add_listener(listener: Callable[[bool], None]) -> None:
    """Call ``listener(enabled)`` now and whenever detection is switched (how tensors follow it)."""
    _listeners.append(listener)
    listener(is_anomaly_enabled())


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on."""
    return engine._node is _checked_node


class detect_anomaly(ContextDecorator):
    """Anomaly detection inside a ``with`` block (or a decorated function); see the module."""

    def _recreate_cm(self) -> detect_anomaly:
        return type(self)()

    def __enter__(self) -> detect_anomaly:
        self._previous = is_anomaly_enabled()
        set_detect_anomaly(True)
        return self

    def __exit__(self, *exc: object) -> None:
        set_detect_anomaly(self._previous)
