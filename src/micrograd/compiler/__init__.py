"""micrograd's compiler: trace a function of Values once, then run generated code for it.

    step = micrograd.compile(loss_fn)      # the same function as micrograd.compiler.compile

The modules, in the order a traced function goes through them:

* :mod:`~micrograd.compiler.trace`: ``compile``, tracing on placeholders, running the programs;
* :mod:`~micrograd.compiler.graph`: the traced graph as data;
* :mod:`~micrograd.compiler.codegen`: symbolic numbers (each op's rules run on them write code);
* :mod:`~micrograd.compiler.python_program`: the pure-Python program;
* :mod:`~micrograd.compiler.plan` and :mod:`~micrograd.compiler.numpy_program`: which nodes
  become rows of one array, and the NumPy program;
* :mod:`~micrograd.compiler.kernels`: writes ``micrograd/_kernels.py``, what ``backward()`` runs.
"""

from micrograd.compiler.trace import BACKENDS, REDUCTIONS, Compiled, TracingError, TracingWarning, compile

__all__ = ["compile", "Compiled", "TracingError", "TracingWarning", "BACKENDS", "REDUCTIONS"]
