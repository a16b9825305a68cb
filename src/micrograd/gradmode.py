"""Whether operations record the graph: ``no_grad()`` and ``is_grad_enabled()``, per thread.

A node made while recording is off is a leaf that remembers nothing, so evaluation and
parameter updates keep no graph alive. The mode belongs to a thread: ``no_grad()`` in one
thread (an evaluation loop, a data loader) leaves training in another untouched.
"""

from __future__ import annotations

import threading
from contextlib import ContextDecorator

__all__ = ["no_grad", "is_grad_enabled"]


class _ThreadMode(threading.local):
    enabled = True  # each new thread starts recording


thread_mode = _ThreadMode()
"""This thread's switch: ``thread_mode.enabled`` (a tracer turns it on for the span of a trace)."""
recording_everywhere = True
"""True while no thread is inside ``no_grad()``: node creation then reads this one flag
instead of the thread-local one, so per-thread modes cost the hot path nothing."""
_no_grad_depth = 0  # no_grad() blocks currently open, over all threads
_no_grad_lock = threading.Lock()


def is_grad_enabled() -> bool:
    """Whether operations currently record the graph in this thread (False inside ``no_grad()``)."""
    return thread_mode.enabled


class no_grad(ContextDecorator):
    """Compute without recording the graph: ``with no_grad(): ...`` (or as a decorator).

    Results are leaves, so nothing is kept for a backward pass: use it for evaluation
    and for updating parameters. It applies to the thread that enters it (Values and
    tensors alike); other threads keep recording.
    """

    def _recreate_cm(self) -> no_grad:  # a fresh instance per decorated call: re-entrant
        return type(self)()

    def __enter__(self) -> no_grad:
        global recording_everywhere, _no_grad_depth
        self._previous = thread_mode.enabled
        thread_mode.enabled = False
        with _no_grad_lock:
            _no_grad_depth += 1
            recording_everywhere = False
        return self

    def __exit__(self, *exc: object) -> None:
        global recording_everywhere, _no_grad_depth
        thread_mode.enabled = self._previous
        with _no_grad_lock:
            _no_grad_depth -= 1
            recording_everywhere = _no_grad_depth == 0
