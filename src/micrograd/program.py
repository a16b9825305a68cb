"""Moved to :mod:`micrograd.compiler` (``graph``, ``python_program``, ``plan``, ``numpy_program``);
this path still works, with a DeprecationWarning."""

from micrograd._moved import moved

__getattr__ = moved(
    __name__,
    "micrograd.compiler.graph",
    "micrograd.compiler.python_program",
    "micrograd.compiler.numpy_program",
    "micrograd.compiler.plan",
)
