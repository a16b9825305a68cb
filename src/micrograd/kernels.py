"""Moved to :mod:`micrograd.compiler.kernels`; this path still works, with a DeprecationWarning."""

from micrograd._moved import moved

__getattr__ = moved(__name__, "micrograd.compiler.kernels")
