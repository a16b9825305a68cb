"""The teaching apps built on the library: the ``micrograd`` command line (:mod:`~micrograd.apps.cli`),
its demos, the expression language it reads, graph drawings (:mod:`~micrograd.apps.viz`),
training plots and the backprop explorer (:mod:`~micrograd.apps.explore`).

Nothing in the core library or the compiler imports from here.
"""
