"""The backprop explorer: a recorded run of the engine, replayed step by step in a web page.

Learners understand backpropagation when they can step through it. :func:`record_graph`
runs the forward and backward pass of a graph and writes down everything that happened:
each node's value in topological order, then, in reverse order, each node's gradient
being pushed into its parents by its operation's rule, with the numbers,

    ∂o/∂n = 1 - tanh²n = 0.5000,   n.grad += o.grad × ∂o/∂n = 1.0000 × 0.5000.

:func:`record_training` does the same for a training run of a 2-D demo: the decision
boundary at a few epochs, and the loss and accuracy curves. :func:`render_page` turns a
recording into one self-contained HTML file (script, style and data inline, no network),
whose JavaScript only replays the recorded numbers: the page cannot disagree with the
library, because it never computes a value or a gradient itself.

The local derivatives are computed by each operation's own ``backward`` rule in
:mod:`micrograd.ops`, and the formula shown next to them is that op's ``derivative`` text.
Graphviz's ``dot`` program lays out the graph (``apt-get install graphviz``).

The parts, one idea each: :mod:`.record` (a graph's forward and backward pass as data),
:mod:`.training` (a demo's training run), :mod:`.layout` (positions from Graphviz),
:mod:`.page` (the HTML file) and :mod:`.server` (serving it on 127.0.0.1); and
:mod:`.tensor_record`, the same recording for a Tensor graph, each node's array and gradient
as tables (imported from there, since it needs NumPy and the rest does not).
"""

from micrograd.apps.explore.layout import LAYOUT_TIMEOUT
from micrograd.apps.explore.page import DEFAULT_OUTPUT, render_page, write_page
from micrograd.apps.explore.record import MAX_VALUES, record_graph
from micrograd.apps.explore.server import start_server
from micrograd.apps.explore.training import record_training, training_demo

__all__ = [
    "MAX_VALUES",
    "DEFAULT_OUTPUT",
    "LAYOUT_TIMEOUT",
    "record_graph",
    "record_training",
    "training_demo",
    "render_page",
    "write_page",
    "start_server",
]
