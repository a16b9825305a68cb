"""Tensors: the engine's rules on NumPy arrays, with PyTorch's semantics.

    >>> from micrograd.tensor import Tensor, cross_entropy
    >>> W = Tensor([[0.1, -0.2], [0.3, 0.4]], requires_grad=True)
    >>> loss = cross_entropy(Tensor([[1.0, 2.0]]) @ W, [1])
    >>> loss.backward()
    >>> W.grad.shape
    (2, 2)

NumPy is an optional extra of micrograd (``pip install "micrograd[numpy]"``); the scalar
engine (``import micrograd``) never imports it.
"""

try:
    import numpy  # noqa: F401
except ImportError:  # pragma: no cover - exercised in a NumPy-free environment
    raise ImportError(
        "micrograd.tensor needs NumPy, which is not installed: pip install \"micrograd[numpy]\""
    ) from None

from micrograd.tensor import gradcheck as _gradcheck  # noqa: F401  (micrograd.gradcheck then takes Tensors)
from micrograd.tensor.autograd import grad
from micrograd.tensor.bridge import from_values, to_values, unroll
from micrograd.tensor.creation import arange, one_hot, ones, zeros
from micrograd.tensor.joins import cat, stack, where
from micrograd.tensor.softmax import cross_entropy, log_softmax, softmax
from micrograd.tensor.tensor import Tensor, tensor

__all__ = [
    "Tensor",
    "tensor",
    "zeros",
    "ones",
    "arange",
    "one_hot",
    "cat",
    "stack",
    "where",
    "grad",
    "log_softmax",
    "softmax",
    "cross_entropy",
    "to_values",
    "unroll",
    "from_values",
]
