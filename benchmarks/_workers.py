"""Long-lived benchmark worker processes, driven one request at a time over a line protocol.

A benchmark measures each engine in a process that holds only what that engine's user's
program would hold (Python's full garbage collections walk every object in the process,
so a library imported only to be compared against would slow the others). The parent
sends a worker one JSON line, ``{"call": name, "args": [...]}``, and reads one JSON line
back, ``{"result": ...}`` or ``{"error": traceback}``; it waits for every answer, so only
one worker computes at a time and the others sleep on their input.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from collections.abc import Callable


class WorkerError(RuntimeError):
    """A call failed inside a worker; the message is the worker's traceback."""


class Worker:
    """One worker process: ``python script --worker kind``, asked in turn by the parent."""

    def __init__(self, script: str, kind: str) -> None:
        environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
        self.kind = kind
        self.process = subprocess.Popen(
            [sys.executable, script, "--worker", kind],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=environment,
        )

    def ask(self, call: str, *args):
        """Run ``call(*args)`` in the worker and return its result (JSON-typed)."""
        self.process.stdin.write(json.dumps({"call": call, "args": list(args)}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise WorkerError(f"the {self.kind} worker exited (code {self.process.wait()}) during {call}{args}")
        answer = json.loads(line)
        if "error" in answer:
            raise WorkerError(f"{call}{tuple(args)} failed in the {self.kind} worker:\n{answer['error']}")
        return answer["result"]

    def close(self) -> None:
        """End of input tells the worker to exit."""
        self.process.stdin.close()
        self.process.wait(timeout=60)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


def serve(calls: dict[str, Callable]) -> None:
    """The worker's loop: answer each request line with the named call's result until input ends.

    Anything the calls print goes to stderr, so that stdout carries only answers.
    """
    answers, sys.stdout = sys.stdout, sys.stderr
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer = {"result": calls[request["call"]](*request["args"])}
        except Exception:
            answer = {"error": traceback.format_exc()}
        answers.write(json.dumps(answer) + "\n")
        answers.flush()
