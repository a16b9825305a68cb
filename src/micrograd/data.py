"""Small seeded datasets as plain Python lists (no NumPy needed), and input checking.

Every generator takes a ``seed`` and returns the same lists for the same seed on
every machine (``random.Random`` is portable). A generator makes at most
:data:`MAX_SAMPLES` samples: a million rows of Python floats already take a few
hundred megabytes, and the pure-Python engine trains on far fewer. :func:`as_inputs` and
:func:`as_targets` turn what users bring (lists, NumPy arrays, scikit-learn's
``make_moons`` output) into checked lists, so every training entry point accepts them.
"""

from __future__ import annotations

import math
import numbers
import random
from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from micrograd.checks import as_float, bool_error, describe, index

__all__ = [
    "moons",
    "circles",
    "spirals",
    "sine",
    "toy",
    "names",
    "train_val_split",
    "as_inputs",
    "as_targets",
    "MAX_SAMPLES",
]

Rows = list[list[float]]

MAX_SAMPLES = 1_000_000
"""The most samples a generator makes (``n_samples``), and the largest ``batch_size`` of ``fit``."""


def _check_count(name: str, value: object, maximum: int = MAX_SAMPLES) -> int:
    return index(name, value, 2, maximum)


def _check_noise(noise: object) -> float:
    value = as_float("noise", noise)
    if not (value >= 0 and math.isfinite(value)):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return value


def _check_real(name: str, value: object) -> float:
    number = as_float(name, value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return number


def _shuffle_and_jitter(
    points: list[tuple[list[float], int]], rng: random.Random, noise: float
) -> tuple[list[list[float]], list[int]]:
    """The labelled 2-D points in a random order, each coordinate plus N(0, noise²) noise, as (X, y)."""
    rng.shuffle(points)
    X = [[x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)] for (x1, x2), _ in points]
    y = [label for _, label in points]
    return X, y


def moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    The upper moon (label 0) is (cos t, sin t), the lower one (label 1) is
    (1 - cos t, 1/2 - sin t), for t evenly spaced on [0, π]; Gaussian noise with
    standard deviation ``noise`` is added and the points are shuffled.
    Returns ``(X, y)``: ``X`` a list of ``[x1, x2]``, ``y`` a list of 0/1 labels.
    """
    n_samples = _check_count("n_samples", n_samples)
    noise = _check_noise(noise)
    rng = random.Random(seed)
    n_upper = n_samples // 2
    n_lower = n_samples - n_upper
    points: list[tuple[list[float], int]] = []
    for i in range(n_upper):
        t = math.pi * i / max(n_upper - 1, 1)
        points.append(([math.cos(t), math.sin(t)], 0))
    for i in range(n_lower):
        t = math.pi * i / max(n_lower - 1, 1)
        points.append(([1.0 - math.cos(t), 0.5 - math.sin(t)], 1))
    return _shuffle_and_jitter(points, rng, noise)


def circles(
    n_samples: int = 100, noise: float = 0.1, factor: float = 0.5, seed: int | None = 0
) -> tuple[list[list[float]], list[int]]:
    """A small circle inside a large one, as scikit-learn's ``make_circles``.

    The outer circle (label 0) is (cos t, sin t), the inner one (label 1) is
    factor·(cos t, sin t), t evenly spaced on [0, 2π); Gaussian noise with standard
    deviation ``noise`` is added and the points are shuffled. Not linearly separable:
    a classifier needs a hidden layer.
    """
    n_samples = _check_count("n_samples", n_samples)
    noise = _check_noise(noise)
    if not 0 < as_float("factor", factor) < 1:
        raise ValueError(f"factor (inner radius / outer radius) must be between 0 and 1, got {factor!r}")
    rng = random.Random(seed)
    n_outer = n_samples // 2
    n_inner = n_samples - n_outer
    points: list[tuple[list[float], int]] = []
    for count, radius, label in ((n_outer, 1.0, 0), (n_inner, float(factor), 1)):
        for i in range(count):
            t = 2 * math.pi * i / count
            points.append(([radius * math.cos(t), radius * math.sin(t)], label))
    return _shuffle_and_jitter(points, rng, noise)


def spirals(
    n_samples: int = 150, n_classes: int = 3, noise: float = 0.05, turns: float = 1.0, seed: int | None = 0
) -> tuple[list[list[float]], list[int]]:
    """``n_classes`` spiral arms winding out from the origin, one class per arm.

    Arm k's i-th point is at radius r = i/(m-1) and angle 2πk/n_classes + 2π·turns·r
    (m points per arm), with Gaussian noise of standard deviation ``noise`` added to
    both coordinates; the points are shuffled. Labels are 0 … n_classes-1.
    """
    n_samples = _check_count("n_samples", n_samples)
    n_classes = _check_count("n_classes", n_classes, MAX_SAMPLES // 2)
    if n_samples < 2 * n_classes:
        raise ValueError(f"n_samples must be at least 2 per class ({2 * n_classes}), got {n_samples}")
    noise = _check_noise(noise)
    turns = _check_real("turns", turns)
    if turns <= 0:
        raise ValueError(f"turns must be > 0, got {turns!r}")
    rng = random.Random(seed)
    points: list[tuple[list[float], int]] = []
    for k in range(n_classes):
        count = n_samples // n_classes + (1 if k < n_samples % n_classes else 0)
        for i in range(count):
            r = i / (count - 1)
            angle = 2 * math.pi * k / n_classes + 2 * math.pi * turns * r
            points.append(([r * math.cos(angle), r * math.sin(angle)], k))
    return _shuffle_and_jitter(points, rng, noise)


def sine(
    n_samples: int = 121, start: float = -3.0, stop: float = 3.0, noise: float = 0.0, seed: int | None = 0
) -> tuple[list[float], list[float]]:
    """``n_samples`` evenly spaced x on [start, stop] and y = sin x (plus optional Gaussian noise).

    With the defaults, x = -3, -2.95, …, 3 (step 0.05). Returns ``(xs, ys)``, two
    lists of floats; an ``MLP(1, ...)`` takes each x as its one input.
    """
    n_samples = _check_count("n_samples", n_samples)
    start = _check_real("start", start)
    stop = _check_real("stop", stop)
    if not start < stop:
        raise ValueError(f"start must be below stop, got start={start!r}, stop={stop!r}")
    noise = _check_noise(noise)
    rng = random.Random(seed)
    xs = [start + (stop - start) * i / (n_samples - 1) for i in range(n_samples)]
    ys = [math.sin(x) + (rng.gauss(0.0, noise) if noise else 0.0) for x in xs]
    return xs, ys


def toy() -> tuple[list[list[float]], list[float]]:
    """The lecture's four samples of three inputs, with targets ±1 (an MLP 3-4-4-1 fits them)."""
    xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ]
    ys = [1.0, -1.0, -1.0, 1.0]
    return xs, ys


@cache
def _census_names() -> tuple[str, ...]:
    text = resources.files("micrograd").joinpath("datasets", "names.txt").read_text(encoding="utf-8")
    return tuple(line for line in text.splitlines() if line and not line.startswith("#"))


def names() -> list[str]:
    """The 5,163 first names of the 1990 US Census lists, lowercase a-z, most frequent first.

    Shipped inside the package (``micrograd/datasets/names.txt``, whose header gives the
    source and licence), so the makemore-style lessons need no download. makemore's own
    list has 32,033 names, so losses trained on this one differ from the lectures'.
    """
    return list(_census_names())


def train_val_split(
    X: Any, y: Any, val_fraction: float = 0.2, seed: int | None = 0
) -> tuple[list[Any], list[Any], list[Any], list[Any]]:
    """Shuffle, then hold out ``val_fraction`` of the samples for validation.

    Returns ``(X_train, X_val, y_train, y_val)`` (scikit-learn's order) as lists;
    at least one sample lands on each side. ``X`` and ``y`` may be NumPy arrays.
    """
    rows = _listed(X, "X")
    targets = _listed(y, "y")
    if len(rows) != len(targets):
        raise ValueError(f"X and y must have the same length, got {len(rows)} inputs and {len(targets)} targets")
    if len(rows) < 2:
        raise ValueError(f"train_val_split needs at least 2 samples, got {len(rows)}")
    if not 0 < as_float("val_fraction", val_fraction) < 1:
        raise ValueError(f"val_fraction must be between 0 and 1, got {val_fraction!r}")
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_val = min(max(round(len(rows) * val_fraction), 1), len(rows) - 1)
    val, train = order[:n_val], order[n_val:]
    return [rows[i] for i in train], [rows[i] for i in val], [targets[i] for i in train], [targets[i] for i in val]


def _listed(data: Any, name: str) -> list[Any]:
    """A list from a list, tuple, NumPy array (via ``tolist``) or any other sequence."""
    if hasattr(data, "tolist") and not isinstance(data, (list, tuple)):
        data = data.tolist()
    if isinstance(data, (str, bytes)) or not isinstance(data, Sequence):
        raise TypeError(f"{name} must be a sequence (list or NumPy array), got {type(data).__name__}")
    return list(data)


def _number(x: Any, where: str) -> float:
    if hasattr(x, "ndim") and getattr(x, "ndim", None) == 0 and hasattr(x, "item"):
        x = x.item()
    if isinstance(x, bool):
        raise bool_error(where, x)
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{where} must be a real number, got {type(x).__name__}: {describe(x, 40)}")
    value = as_float(where, x)
    if not math.isfinite(value):
        raise ValueError(f"{where} is {value}: inputs and targets must be finite numbers")
    return value


def as_inputs(X: Any, nin: int | None = None) -> Rows:
    """The samples as a list of rows of floats, checked: one row per sample, all the same width.

    Accepts a list of rows, a flat list of numbers (each is a one-input sample), or a
    NumPy array of shape (n, d) or (n,). Raises ``ValueError`` naming the first bad
    entry (non-finite, ragged, or a width other than ``nin``) and ``TypeError`` for
    entries that are not numbers.
    """
    rows = _listed(X, "X")
    if not rows:
        raise ValueError("X is empty: need at least one sample")
    out: Rows = []
    for i, row in enumerate(rows):
        if isinstance(row, numbers.Real) or getattr(row, "ndim", None) == 0:
            out.append([_number(row, f"X[{i}]")])
        else:
            items = _listed(row, f"X[{i}]")
            out.append([_number(v, f"X[{i}][{j}]") for j, v in enumerate(items)])
        if len(out[-1]) != len(out[0]):
            raise ValueError(f"X[{i}] has {len(out[-1])} values but X[0] has {len(out[0])}: rows must all match")
    if nin is not None and len(out[0]) != nin:
        raise ValueError(f"the model takes {nin} input{'s' * (nin != 1)} per sample, but X has {len(out[0])}")
    return out


def as_targets(y: Any, n: int | None = None) -> list[Any]:
    """The targets as a list of floats (or of rows of floats, for several outputs), checked.

    Integral numbers stay ints (class labels). ``n`` is the number of samples they
    must match.
    """
    items = _listed(y, "y")
    if not items:
        raise ValueError("y is empty: need at least one target")
    if n is not None and len(items) != n:
        raise ValueError(f"X and y must have the same length, got {n} inputs and {len(items)} targets")
    out: list[Any] = []
    for i, t in enumerate(items):
        if isinstance(t, numbers.Real) or getattr(t, "ndim", None) == 0:
            value = _number(t, f"y[{i}]")
            out.append(int(value) if isinstance(t, numbers.Integral) else value)
        else:
            out.append([_number(v, f"y[{i}][{j}]") for j, v in enumerate(_listed(t, f"y[{i}]"))])
    return out
