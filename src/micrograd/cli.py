"""Moved to :mod:`micrograd.apps.cli`; this path still works, with a DeprecationWarning."""

from micrograd._moved import moved

__getattr__ = moved(__name__, "micrograd.apps.cli")
