"""Moved to :mod:`micrograd.compiler.trace`; this path still works, with a DeprecationWarning.

Importing it would replace the function ``micrograd.compile`` with this module, so the
module can be called as that function.
"""

from micrograd._moved import moved

__getattr__ = moved(__name__, "micrograd.compiler.trace", callable_module=True)
