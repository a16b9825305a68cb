"""Model files: an MLP's architecture and weights as readable JSON, and its PyTorch twin.

A file looks like::

    {
      "format": "micrograd.MLP",
      "version": 1,
      "architecture": {"nin": 2, "nouts": [16, 16, 1], "activation": "relu", ...},
      "parameters": {"layers.0.neurons.0.w.0": 0.2364..., ...}
    }

Numbers are written with ``repr`` precision, so a model reloads bit for bit. Saving
is atomic: the JSON goes to a temporary file in the same directory, is flushed to
disk, and then renamed over the target, so a crash mid-write leaves the previous
file intact. Loading checks everything (JSON syntax, format, version, architecture,
every weight's name, type and finiteness) before it builds the model, so a bad file
raises :class:`ModelFileError` and never yields a half-loaded model. No pickle:
reading a file can never run code.

Only the standard library (and :mod:`micrograd.checks`) is imported here; ``to_torch`` imports PyTorch when called.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import numbers
import os
import secrets
import stat
import sys
from pathlib import Path
from typing import Any

from micrograd.checks import shorten as _short

__all__ = [
    "FORMAT",
    "VERSION",
    "ModelFileError",
    "write_json_atomic",
    "save_model",
    "read_model_file",
    "load_model",
    "load_into",
    "to_torch",
]

FORMAT = "micrograd.MLP"
"""The ``format`` entry that marks a micrograd model file."""

VERSION = 1
"""The file-format version this micrograd writes and reads."""

_ARCHITECTURE_KEYS = ("nin", "nouts", "activation", "output_activation", "init", "fused")
_TOP_KEYS = ("format", "version", "architecture", "parameters")
_TORCH_ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}

PathLike = str | os.PathLike  # type: ignore[type-arg]


class ModelFileError(ValueError):
    """A model file that cannot be loaded: the message names the file and what is wrong with it."""


def write_json_atomic(path: PathLike, data: Any) -> Path:
    """Write ``data`` as indented JSON to ``path`` so that the file is either the old one or the new one.

    The text goes to a temporary file beside the file it replaces, is fsync'ed, and
    replaces it with ``os.replace`` (atomic on POSIX and Windows). A symlink is written
    through: its target is replaced and the link stays a link. The replaced file's
    permissions are kept (a new file gets the usual ones, 0o666 less the umask). On
    any failure the temporary file is removed, ``path`` is untouched, and the
    ``OSError`` names ``path`` as given.
    """
    given = _given(path)
    target = Path(os.path.realpath(given))
    text = json.dumps(data, indent=2, allow_nan=False) + "\n"
    temporary = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode) if target.is_file() else None
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as e:
        raise _naming(e, given) from None
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(e, OSError):
            raise _naming(e, given) from None
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable where directories can be fsync'ed
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return Path(given)


def _given(path: PathLike) -> str:
    """``path`` as a string; an empty one names no file (``Path('')`` would be the current directory)."""
    given = os.fspath(path)
    if not given:
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), given)
    return given


def _naming(error: OSError, path: str) -> OSError:
    """The same kind of OSError, naming the path the user gave (not a temporary file or a resolved link)."""
    if error.errno is None:
        return error
    return type(error)(error.errno, error.strerror, path)


def save_model(model: Any, path: PathLike) -> Path:
    """Save an MLP (its ``config()`` and ``state_dict()``) to ``path``; see the module docstring.

    Raises ``ValueError`` naming the first weight that is nan or infinite (a diverged
    model is not worth keeping, and JSON has no such numbers).
    """
    if not (callable(getattr(model, "state_dict", None)) and callable(getattr(model, "config", None))):
        raise TypeError(f"save_model expects an MLP (with config() and state_dict()), got {type(model).__name__}")
    parameters = model.state_dict()
    for name, value in parameters.items():
        if not math.isfinite(value):
            raise ValueError(f"cannot save the model: parameter {name!r} is {value} (did training diverge?)")
    data = {"format": FORMAT, "version": VERSION, "architecture": model.config(), "parameters": parameters}
    return write_json_atomic(path, data)


def _reject_constant(name: str) -> Any:
    raise ModelFileError(f"contains {name}: every weight must be a finite number")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object whose keys are all different: with a repeated weight, which copy counts is a guess."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise ModelFileError(f"the entry {key!r} appears twice"[:300])
        seen[key] = value
    return seen


def _read_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except (IsADirectoryError, NotADirectoryError) as e:
        raise ModelFileError(f"{path}: cannot read the file: {e.strerror}") from None
    except OSError as e:
        if e.errno != errno.ELOOP:
            raise  # missing, unreadable: the file system's own error, which names the path
        raise ModelFileError(f"{path}: cannot read the file: {e.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ModelFileError(f"{path}: not UTF-8 text (byte {e.start}), so not a micrograd model file") from None
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except ModelFileError as e:
        raise ModelFileError(f"{path}: {e}") from None
    except json.JSONDecodeError as e:
        raise ModelFileError(
            f"{path}: not valid JSON (truncated or corrupted?): {e.msg} at line {e.lineno} column {e.colno}"
        ) from None
    except ValueError as e:  # an integer too long to convert (over sys.get_int_max_str_digits() digits)
        raise ModelFileError(
            f"{path}: a number has more than {sys.get_int_max_str_digits():,} digits ({str(e)[:40]}...), "
            "so it is no weight or layer size"
        ) from None
    except RecursionError:
        raise ModelFileError(f"{path}: JSON nested too deeply to be a micrograd model file") from None


def _size(value: Any, where: str, path: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ModelFileError(f"{path}: {where} must be a positive integer, got {value!r}"[:300])
    return value


def _check_architecture(arch: Any, path: Path) -> dict[str, Any]:
    if not isinstance(arch, dict):
        raise ModelFileError(f"{path}: 'architecture' must be an object, got {type(arch).__name__}")
    missing = [k for k in _ARCHITECTURE_KEYS if k not in arch]
    unexpected = [k for k in arch if k not in _ARCHITECTURE_KEYS]
    if missing or unexpected:
        problem = f"missing {missing}" if missing else f"unexpected {unexpected}"
        raise ModelFileError(f"{path}: 'architecture' entries {problem}; expected {list(_ARCHITECTURE_KEYS)}"[:300])
    _size(arch["nin"], "architecture 'nin'", path)
    nouts = arch["nouts"]
    if not isinstance(nouts, list) or not nouts:
        raise ModelFileError(
            f"{path}: architecture 'nouts' must be a non-empty list of layer sizes, got {_short(repr(nouts))}"
        )
    for i, size in enumerate(nouts):
        _size(size, f"architecture 'nouts'[{i}]", path)
    for key in ("activation", "output_activation", "init"):
        if not isinstance(arch[key], str):
            raise ModelFileError(f"{path}: architecture {key!r} must be a string, got {arch[key]!r}"[:300])
    if not isinstance(arch["fused"], bool):
        raise ModelFileError(f"{path}: architecture 'fused' must be true or false, got {arch['fused']!r}"[:300])
    return arch


def _check_parameters(params: Any, arch: dict[str, Any], path: Path, expected: int | None = None) -> dict[str, float]:
    """The file's weights as floats; ``expected`` is how many the model has (by default an MLP's count)."""
    if not isinstance(params, dict):
        raise ModelFileError(f"{path}: 'parameters' must be an object of name: number, got {type(params).__name__}")
    sizes = [arch["nin"], *arch["nouts"]]
    if expected is None:
        expected = _mlp_size(arch)
    if len(params) != expected:
        raise ModelFileError(
            f"{path}: the architecture {_short('-'.join(map(str, sizes)))} has {_short(str(expected))} parameters, "
            f"but the file has {len(params)} (wrong architecture or truncated weights)"
        )
    values = {}
    for name, value in params.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ModelFileError(f"{path}: parameter {name!r} must be a number, got {type(value).__name__}"[:300])
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise ModelFileError(f"{path}: parameter {name!r} is not a finite number ({str(value)[:30]})")
        values[name] = number
    return values


def read_model_file(path: PathLike, cls: type | None = None) -> tuple[dict[str, Any], dict[str, float]]:
    """The checked architecture and weights in a model file written by :func:`save_model`.

    Raises ``OSError`` (e.g. ``FileNotFoundError``) when the file cannot be read, and
    :class:`ModelFileError` naming the problem for a directory, a symlink loop, and any
    content that is not exactly a valid model: bad JSON, another format or version, an
    inconsistent architecture, missing, extra, non-numeric or non-finite weights.
    With ``cls`` (an MLP subclass), the weights are counted against that class rebuilt
    from the architecture, so a subclass whose ``parameters()`` lists only some of its
    weights reads back the file it wrote.
    """
    path = Path(_given(path))
    data = _read_json(path)
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a micrograd model file (no \"format\": \"{FORMAT}\" entry)")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise ModelFileError(f"{path}: 'version' must be an integer, got {version!r}"[:300])
    if version != VERSION:
        newer = " (written by a newer micrograd)" if version > VERSION else ""
        raise ModelFileError(
            f"{path}: unsupported format version {_short(str(version))}{newer}; this micrograd reads {VERSION}"
        )
    unexpected = [k for k in data if k not in _TOP_KEYS]
    missing = [k for k in _TOP_KEYS if k not in data]
    if missing or unexpected:
        problem = f"missing {missing}" if missing else f"unexpected entries {unexpected}"
        raise ModelFileError(f"{path}: {problem}; a model file has exactly {list(_TOP_KEYS)}"[:300])
    arch = _check_architecture(data["architecture"], path)
    params = data["parameters"]
    expected = _mlp_size(arch)
    if cls is not None and isinstance(params, dict) and len(params) != expected and expected <= _MAX_REBUILT:
        try:
            expected = len(cls(**arch).state_dict())
        except (ValueError, TypeError) as e:
            raise ModelFileError(f"{path}: {e}") from None
    return arch, _check_parameters(params, arch, path, expected)


_MAX_REBUILT = 10_000_000
"""A class's own parameter count is found by building it: never for an architecture
beyond the largest MLP (``nn.MAX_PARAMETERS``), which the file's count then decides."""


def _mlp_size(arch: dict[str, Any]) -> int:
    sizes = [arch["nin"], *arch["nouts"]]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True))


def load_model(path: PathLike, cls: type) -> Any:
    """A new ``cls`` (an MLP) with the architecture and weights in the file at ``path`` (:func:`read_model_file`)."""
    arch, values = read_model_file(path, cls)
    try:
        model = cls(**arch)
        model.load_state_dict(values)
    except (ValueError, TypeError) as e:
        raise ModelFileError(f"{Path(path)}: {e}") from None
    return model


_FUNCTION_KEYS = ("nin", "nouts", "activation", "output_activation")
"""What decides the function a model computes (``init`` and ``fused`` do not change it)."""


def load_into(model: Any, path: PathLike) -> Any:
    """Set ``model``'s weights from the file at ``path`` and return ``model``.

    The file's nin, nouts and activations must be the model's; otherwise, as for any
    bad file, :class:`ModelFileError` is raised and the model is left as it was.
    """
    arch, values = read_model_file(path, type(model))
    mine = model.config()
    if any(arch[key] != mine[key] for key in _FUNCTION_KEYS):
        raise ModelFileError(
            f"{Path(path)}: the file holds {_architecture(arch, mine)} but this model is {_architecture(mine, arch)}; "
            "load it as a new model with MLP.load(path)"
        )
    try:
        model.load_state_dict(values)
    except (ValueError, TypeError) as e:
        raise ModelFileError(f"{Path(path)}: {e}") from None
    return model


def _architecture(arch: dict[str, Any], other: dict[str, Any]) -> str:
    """``MLP(nin, nouts)``, plus the activations where they differ from ``other``'s."""
    differences = "".join(f", {key}={arch[key]!r}" for key in _FUNCTION_KEYS[2:] if arch[key] != other[key])
    return _short(f"MLP({arch['nin']}, {arch['nouts']}{differences})", 120)


def to_torch(model: Any) -> Any:
    """An equivalent ``torch.nn.Sequential`` of float64 ``Linear`` layers and activations, with copied weights.

    Row i of a Linear layer's weight is neuron i's ``w``, its bias entry is ``b``, so
    ``to_torch(model)(torch.tensor(X, dtype=torch.float64))`` gives the model's outputs
    for every row of X at once (matching micrograd to rounding).
    """
    try:
        import torch
    except ImportError:
        raise ImportError('to_torch() needs PyTorch: pip install "micrograd[torch]" (or pip install torch)') from None
    modules = []
    for layer in model.layers:
        neurons = layer.neurons
        linear = torch.nn.Linear(len(neurons[0].w), len(neurons), dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in neurons], dtype=torch.float64))
        modules.append(linear)
        activation = neurons[0].activation
        if activation != "linear":
            modules.append(getattr(torch.nn, _TORCH_ACTIVATIONS[activation])())
    return torch.nn.Sequential(*modules)
