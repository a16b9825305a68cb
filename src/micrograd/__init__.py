"""micrograd: reverse-mode automatic differentiation on scalars, and neural networks on top.

    >>> from micrograd import Value
    >>> x = Value(2.0, label='x')
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad        # dy/dx = 2x + 3
    7.0
"""

from typing import Any

from micrograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from micrograd.engine import Value, dot, grad, is_grad_enabled, no_grad, topological_order
from micrograd.gradcheck import GradcheckError, gradcheck
from micrograd.nn import MLP, Layer, Module, Neuron, Parameter

__version__ = "2.0.0"


def __getattr__(name: str) -> Any:
    """``micrograd.compile``, loaded on first use: ``import micrograd`` stays free of the compiler.

    It is left out of ``__all__`` so that ``from micrograd import *`` keeps Python's own
    ``compile``; use ``micrograd.compile(fn)`` or ``from micrograd.compiler import compile``.
    """
    if name == "compile":
        from micrograd.compiler import compile

        globals()["compile"] = compile
        return compile
    raise AttributeError(f"module 'micrograd' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "compile"})

__all__ = [
    "Value",
    "dot",
    "grad",
    "is_grad_enabled",
    "no_grad",
    "topological_order",
    "gradcheck",
    "GradcheckError",
    "Module",
    "Parameter",
    "Neuron",
    "Layer",
    "MLP",
    "AnomalyError",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
]
