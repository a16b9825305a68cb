"""Seeded random tensors: ``Generator(seed)`` with ``rand``, ``randn``, ``randint``, ``multinomial``, ``randperm``.

The makemore lectures make every random number from one seeded generator
(``g = torch.Generator().manual_seed(2147483647)``) so that a run can be repeated.
``Generator(seed)`` plays that part for micrograd tensors, with PyTorch's call shapes::

    g = Generator(2147483647)
    C = g.randn(27, 10)                                   # an embedding table
    ix = g.randint(0, 1000, (32,))                        # a minibatch of row indices
    nxt = g.multinomial(probs, 1, replacement=True)       # sampling from a model

Where the numbers come from: NumPy's PCG64 bit generator, whose stream NumPy guarantees
across versions and platforms, and NumPy's transforms of it (uniforms by exact scaling of
53 bits, integers and permutations by integer arithmetic, normals by the ziggurat
method, whose rare tail case calls the C library's exp and log). So the same seed gives
the same numbers on every run and machine. NumPy does not promise the transforms across
its versions (they have been unchanged since NumPy 1.17); a test holds the first numbers
of a seed to stored ones, so a change would show. float32 results are the float64
numbers rounded, so both dtypes draw the same stream.

PyTorch's own streams (a Mersenne Twister with its own transforms) cannot be
reproduced: ``Generator(42).randn(3)`` is not ``torch.randn(3, generator=...)`` for any
seed. To start a micrograd model and a PyTorch model from the same weights, copy them
(``model.to_torch()``, or ``load_state_dict`` either way).
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from micrograd.tensor.dtypes import as_dtype
from micrograd.tensor.shapes import _shape_of
from micrograd.tensor.tensor import Tensor

__all__ = ["Generator", "default_generator", "manual_seed"]


def _check_int(name: str, value: Any, low: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def _float_dtype(dtype: Any, what: str) -> np.dtype:
    chosen = np.dtype(np.float64) if dtype is None else as_dtype(dtype)
    if chosen.kind != "f":
        raise TypeError(f"{what} makes floating-point tensors (float64 or float32), got dtype {chosen}")
    return chosen


class Generator:
    """A seeded source of random tensors; the same seed gives the same numbers on every run and machine."""

    def __init__(self, seed: int = 0) -> None:
        self.manual_seed(seed)

    def manual_seed(self, seed: int) -> Generator:
        """Start the stream again from ``seed`` (an int >= 0); returns the generator, as PyTorch's does."""
        self.seed = _check_int("seed", seed, 0)
        self._numpy = np.random.Generator(np.random.PCG64(self.seed))
        return self

    def rand(self, *shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Uniform numbers in [0, 1): ``g.rand(2, 3)`` or ``g.rand((2, 3))``."""
        dtype = _float_dtype(dtype, "rand")
        return Tensor(self._numpy.random(_shape_of(shape)).astype(dtype), requires_grad=requires_grad)

    def randn(self, *shape: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:
        """Standard normal numbers, N(0, 1): ``g.randn(27, 10)``."""
        dtype = _float_dtype(dtype, "randn")
        return Tensor(self._numpy.standard_normal(_shape_of(shape)).astype(dtype), requires_grad=requires_grad)

    def uniform(self, low: float, high: float, *shape: Any, dtype: Any = None) -> Tensor:
        """Numbers uniform in [low, high): ``low + (high - low) · rand``, PyTorch's ``uniform_``."""
        for name, x in (("low", low), ("high", high)):
            if isinstance(x, bool) or not isinstance(x, numbers.Real):
                raise TypeError(f"uniform {name} must be a number, got {type(x).__name__}: {x!r}")
        if not low <= high:
            raise ValueError(f"uniform needs low <= high, got low={low!r} and high={high!r}")
        dtype = _float_dtype(dtype, "uniform")
        u = self._numpy.random(_shape_of(shape))
        return Tensor((low + (high - low) * u).astype(dtype))

    def randint(self, low: int, high: Any = None, size: Any = ()) -> Tensor:
        """Integers uniform in [low, high) as int64, PyTorch's argument order: ``g.randint(0, 10, (32,))``.

        ``g.randint(high, size)`` (one bound, then a shape) draws from [0, high).
        """
        if high is None or isinstance(high, (tuple, list)):
            low, high, size = 0, low, size if high is None else high
        low, high = _check_int("randint low", low), _check_int("randint high", high)
        if high <= low:
            raise ValueError(f"randint needs low < high, got low={low} and high={high}")
        shape = _shape_of(size if isinstance(size, (tuple, list)) else (size,))
        return Tensor(self._numpy.integers(low, high, size=shape, dtype=np.int64))

    def randperm(self, n: int) -> Tensor:
        """0, 1, ..., n-1 in a random order (int64)."""
        n = _check_int("randperm n", n, 0)
        return Tensor(self._numpy.permutation(n).astype(np.int64))

    def multinomial(self, probs: Any, num_samples: int, replacement: bool = False) -> Tensor:
        """Class indices drawn in proportion to the weights ``probs``, as ``torch.multinomial``.

        ``probs`` is (C,) or (N, C) of non-negative weights (they need not sum to 1); the
        result is (num_samples,) or (N, num_samples) int64. Without replacement each draw
        leaves out the classes already drawn, so num_samples may not exceed the classes
        that have weight.
        """
        weights = np.asarray(probs.data if isinstance(probs, Tensor) else probs, dtype=np.float64)
        if weights.ndim not in (1, 2) or weights.shape[-1] == 0:
            raise ValueError(f"multinomial needs probs of shape (C,) or (N, C) with C >= 1, got {weights.shape}")
        num_samples = _check_int("multinomial num_samples", num_samples, 1)
        if not isinstance(replacement, bool):
            raise TypeError(f"multinomial replacement must be True or False, got {type(replacement).__name__}")
        if not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError("multinomial probs must be finite and non-negative")
        rows = weights.reshape(-1, weights.shape[-1])
        if (rows.sum(axis=1) <= 0).any():
            raise ValueError("multinomial: every row of probs needs a positive sum")
        if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
            raise ValueError(
                f"multinomial without replacement: cannot draw {num_samples} samples from a row with only "
                f"{int((rows > 0).sum(axis=1).min())} classes of positive weight"
            )
        out = np.empty((rows.shape[0], num_samples), dtype=np.int64)
        for i, row in enumerate(rows):
            if replacement:
                cumulative = np.cumsum(row)
                u = self._numpy.random(num_samples) * cumulative[-1]
                out[i] = np.minimum(np.searchsorted(cumulative, u, side="right"), len(row) - 1)
            else:
                left = row.copy()
                for k in range(num_samples):
                    cumulative = np.cumsum(left)
                    pick = int(np.searchsorted(cumulative, self._numpy.random() * cumulative[-1], side="right"))
                    pick = min(pick, len(row) - 1)
                    while left[pick] == 0:  # the rounding edge of the last class with weight
                        pick -= 1
                    out[i, k] = pick
                    left[pick] = 0.0
        return Tensor(out if weights.ndim == 2 else out[0])

    def __repr__(self) -> str:
        return f"Generator(seed={self.seed})"


default_generator = Generator(0)
"""What layers draw their initial weights from when no ``generator=`` is given."""


def manual_seed(seed: int) -> Generator:
    """Restart :data:`default_generator` from ``seed``, as ``torch.manual_seed``."""
    return default_generator.manual_seed(seed)
