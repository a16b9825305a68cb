"""Anomaly detection for tensors: the first operation that turned finite numbers into nan or inf.

``micrograd.detect_anomaly()`` switches it on for Values and Tensors alike. While it is on,
every tensor operation checks its result, and every derivative rule its gradients, and
the first one that makes nan or ±inf from finite numbers raises
:class:`~micrograd.anomaly.AnomalyError` naming the operation, the shapes, the first bad
element and the line of your code that made the node. An elementwise operation is judged
element by element (a nan that flows on from an input's nan is not new); any other
operation (a sum, ``@``, softmax) when all its inputs are finite. Off, it costs one check
of a module flag per operation.
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

from micrograd.anomaly import AnomalyError, _user_line, add_listener

__all__ = ["enabled", "check_forward", "check_backward"]

enabled = False
"""Whether anomaly detection is on (kept in step with :func:`micrograd.set_detect_anomaly`)."""

_origins: dict[int, str] = {}  # by id (== on tensors compares elements), each removed when its node dies


def _switch(on: bool) -> None:
    global enabled
    enabled = on
    if not on:
        _origins.clear()


add_listener(_switch)


def _array(x: Any) -> np.ndarray:
    return np.asarray(x.data if hasattr(x, "_prev") else x)


def _new_nonfinite(out: np.ndarray, inputs: list[np.ndarray]) -> np.ndarray | None:
    """Where ``out`` is nan or inf although the inputs it came from are finite (None: nowhere)."""
    if out.dtype.kind != "f":
        return None
    bad = ~np.isfinite(out)
    if not bad.any():
        return None
    elementwise = all(a.shape == out.shape for a in inputs)
    for a in inputs:
        if a.dtype.kind == "f":
            if elementwise:
                bad &= np.isfinite(a)
            elif not np.isfinite(a).all():
                return None
    return bad if bad.any() else None


def _first(bad: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)), bad.shape))


def _where(bad: np.ndarray, what: str) -> str:
    count = f"{int(bad.sum())} of {bad.size} elements" if bad.ndim else "the one element"
    at = f", first at {list(_first(bad))}" if bad.ndim else ""
    return f"{count} of {what}{at}"


def _shapes(tensors: Any) -> str:
    return ", ".join(str(t.shape) for t in tensors) or "none"


def check_forward(op: Any, parents: tuple[Any, ...], node: Any) -> None:
    """Raise if ``op`` made nan/inf from finite inputs; remember where the node was made."""
    inputs = [p.data for p in parents]
    bad = _new_nonfinite(node.data, inputs)
    if bad is not None:
        index = _first(bad)
        value = node.data[index]
        shown = ""
        if all(a.shape == node.data.shape for a in inputs) and inputs:
            shown = " from " + ", ".join(repr(a[index].item()) for a in inputs)
        raise AnomalyError(
            f"forward: '{op}' produced {value.item()!r}{shown} in {_where(bad, f'its {node.shape} result')} "
            f"(input shapes {_shapes(parents)}), from finite inputs\n  created at {_user_line()}"
        )
    if node._prev:
        _origins[id(node)] = _user_line()
        weakref.finalize(node, _origins.pop, id(node), None)


def check_backward(node: Any, g: Any, local: tuple[Any, ...]) -> None:
    """Raise if ``node``'s derivative rule made a nan/inf gradient from finite numbers."""
    incoming = _array(g)
    arrays = [incoming, node.data, *(p.data for p in node._prev)]
    if not all(np.isfinite(a).all() for a in arrays if a.dtype.kind == "f"):
        return
    for i, pg in enumerate(local):
        if pg is None:
            continue
        grad = _array(pg)
        if grad.dtype.kind == "f" and not np.isfinite(grad).all():
            bad = ~np.isfinite(grad)
            parent = node._prev[i]
            value = grad[_first(bad)] if grad.ndim else grad
            shown = ""
            if parent.data.shape == grad.shape:
                shown = f" where the input is {parent.data[_first(bad)].item()!r}"
            raise AnomalyError(
                f"backward: the derivative rule of '{node._op}' (input shapes {_shapes(node._prev)}, output "
                f"{node.shape}) gave {value.item()!r} in {_where(bad, f'the gradient of input {i}')}{shown}, "
                f"from finite inputs, output and incoming gradient\n"
                f"  created at {_origins.get(id(node), '(created before anomaly detection was on)')}"
            )
