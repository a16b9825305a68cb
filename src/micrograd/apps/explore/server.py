"""Serving one explorer page on 127.0.0.1, for a browser on the same machine."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any

__all__ = ["start_server"]


class _PageHandler(http.server.BaseHTTPRequestHandler):
    """Serves one page at ``/`` (and under its file name); everything else is 404."""

    page: bytes = b""
    name: str = "explore.html"

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        if self.path.split("?")[0] not in ("/", "/" + self.name):
            self.send_error(404, "only the explorer page is served here")
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(self.page)))
        self.end_headers()
        self.wfile.write(self.page)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def start_server(path: str | Path, port: int = 0) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve the page at ``path`` on 127.0.0.1 (``port=0``: a free port) in a background thread.

    Returns the server (call ``shutdown()`` to stop it) and its address.
    """
    path = Path(path)
    handler = type("Handler", (_PageHandler,), {"page": path.read_bytes(), "name": path.name})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
