"""What every drawing needs from Graphviz: the package imported with a clear message when it is missing,
a ``Digraph`` that explains how to install ``dot`` when rendering fails, and the errors the drawings raise.

Shared by the drawings of Value graphs (:mod:`micrograd.apps.viz`) and of Tensor graphs
(:mod:`micrograd.apps.tensorviz`).
"""

from __future__ import annotations

import functools
from typing import Any

from micrograd.apps.formatting import dot_not_found

__all__ = ["GraphTooLargeError", "GraphvizNotFoundError", "new_drawing"]

_FONT = "Helvetica,Arial,sans-serif"
_INSTALL_DOT = dot_not_found("render the drawing") + "; without it, draw_dot(...).source still gives the DOT text"


class GraphTooLargeError(ValueError):
    """The graph has more nodes than can be drawn readably (see ``max_nodes``)."""

    def __init__(self, message: str, nodes: int, limit: int) -> None:
        super().__init__(message)
        self.nodes = nodes
        self.limit = limit


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed, so a drawing cannot be rendered."""


def _import_graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise ImportError(
            'drawing graphs needs the graphviz package: pip install "micrograd[viz]" '
            "(and Graphviz's dot program: apt-get install graphviz, or brew install graphviz)"
        ) from None
    return graphviz


@functools.cache
def _drawing_class() -> type:
    """A ``graphviz.Digraph`` whose rendering explains how to install ``dot`` when it is missing.

    Rendering inline in Jupyter, ``.pipe()``, ``.render()`` and ``.view()`` all go through
    the two methods overridden here.
    """
    gv = _import_graphviz()

    class Drawing(gv.Digraph):  # type: ignore[name-defined,misc]
        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except gv.ExecutableNotFound:
                raise GraphvizNotFoundError(_INSTALL_DOT) from None

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except gv.ExecutableNotFound:
                raise GraphvizNotFoundError(_INSTALL_DOT) from None

    Drawing.__name__ = Drawing.__qualname__ = "Digraph"
    return Drawing


def _record_text(text: str) -> str:
    """Text safe inside a Graphviz record field, where ``{ } | < >`` have meanings."""
    for special in '\\{}|<>"':
        text = text.replace(special, "\\" + special)
    return text


def new_drawing(format: str, rankdir: str, fontsize: str) -> Any:
    """An empty drawing in the project's style (``fontsize`` for the nodes), after checking ``format``."""
    graphviz = _import_graphviz()
    if format not in graphviz.FORMATS:
        raise ValueError(f"unknown Graphviz output format {format!r}: use e.g. 'svg', 'png' or 'pdf'")
    return _drawing_class()(
        format=format,
        graph_attr={"rankdir": rankdir, "fontname": _FONT},
        node_attr={"fontname": _FONT, "fontsize": fontsize},
        edge_attr={"fontname": _FONT, "fontsize": "10", "color": "#555555"},
    )
