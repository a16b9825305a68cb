"""micrograd: reverse-mode automatic differentiation on scalars, and neural networks on top.

    >>> from micrograd import Value
    >>> x = Value(2.0, label='x')
    >>> y = x * x + 3 * x
    >>> y.backward()
    >>> x.grad        # dy/dx = 2x + 3
    7.0
"""

from micrograd.anomaly import AnomalyError, detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from micrograd.compile import compile
from micrograd.engine import Value, dot, grad, is_grad_enabled, no_grad, topological_order
from micrograd.gradcheck import GradcheckError, gradcheck
from micrograd.nn import MLP, Layer, Module, Neuron, Parameter

__version__ = "1.0.0"

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
    "compile",
    "AnomalyError",
    "detect_anomaly",
    "set_detect_anomaly",
    "is_anomaly_enabled",
]
