"""Small seeded datasets as plain Python lists (no NumPy needed)."""

from __future__ import annotations

import math
import random

__all__ = ["moons"]


def _check_count(name: str, value: object, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return value


def _check_noise(noise: object) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not noise >= 0 or math.isinf(noise):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def moons(n_samples: int = 100, noise: float = 0.1, seed: int | None = 0) -> tuple[list[list[float]], list[int]]:
    """Two interleaving half circles, as scikit-learn's ``make_moons``.

    The upper moon (label 0) is (cos t, sin t), the lower one (label 1) is
    (1 - cos t, 1/2 - sin t), for t evenly spaced on [0, π]; Gaussian noise with
    standard deviation ``noise`` is added and the points are shuffled.
    Returns ``(X, y)``: ``X`` a list of ``[x1, x2]``, ``y`` a list of 0/1 labels.
    """
    _check_count("n_samples", n_samples, 2)
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
    rng.shuffle(points)
    X = [[x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)] for (x1, x2), _ in points]
    y = [label for _, label in points]
    return X, y
