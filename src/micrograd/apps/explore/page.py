"""The explorer page: one self-contained HTML file holding its template, style, script and a recording."""

from __future__ import annotations

import html
import json
from importlib import resources
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_OUTPUT", "render_page", "write_page"]

DEFAULT_OUTPUT = Path("micrograd-out") / "explore.html"


def _page_file(name: str) -> str:
    return (resources.files(__package__) / name).read_text(encoding="utf-8")


def render_page(recording: dict[str, Any]) -> str:
    """The explorer as one HTML document: the template, its style and script, and the recording as JSON.

    Nothing is loaded from anywhere else, so the file works from ``file://`` and offline.
    """
    if not isinstance(recording, dict) or recording.get("kind") not in ("graph", "training"):
        raise ValueError("render_page expects a recording from record_graph() or record_training()")
    graph = recording if recording["kind"] == "graph" else recording["graph"]
    if "layout" not in graph:
        raise ValueError("this recording has no layout (it was made with layout=False), so it cannot be drawn")
    data = json.dumps(recording, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    data = data.replace("<", "\\u003c")  # no "</script>" or "<!--" can end the data early
    title = recording.get("title") or "micrograd explorer"
    page = _page_file("explorer.html")
    for marker, content in (
        ("/*STYLE*/", _page_file("explorer.css")),
        ("/*SCRIPT*/", _page_file("explorer.js")),
        ("/*RECORDING*/", data),
        ("<!--TITLE-->", html.escape(title)),
    ):
        if marker not in page:
            raise RuntimeError(f"the explorer page template has lost its {marker} marker")
        page = page.replace(marker, content, 1)
    return page


def write_page(recording: dict[str, Any], path: str | Path = DEFAULT_OUTPUT) -> Path:
    """Write the page for ``recording`` to ``path`` (its directory is created); returns the path."""
    path = Path(path)
    page = render_page(recording)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path
