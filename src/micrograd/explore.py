"""Moved to :mod:`micrograd.apps.explore`; this path still works, with a DeprecationWarning."""

from micrograd._moved import moved

__getattr__ = moved(__name__, "micrograd.apps.explore")
