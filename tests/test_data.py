"""Datasets: shapes, labels, geometry, seeding, the train/validation split and input checking."""

from __future__ import annotations

import math

import pytest

from micrograd.data import as_inputs, as_targets, circles, moons, sine, spirals, toy, train_val_split


@pytest.mark.parametrize("make", [moons, circles, spirals])
def test_generators_are_seeded_and_plain_lists(make):
    X, y = make(n_samples=60, seed=3)
    assert (X, y) == make(n_samples=60, seed=3)
    other_seed, _ = make(n_samples=60, seed=4)
    assert other_seed != X
    assert len(X) == len(y) == 60
    assert all(type(row) is list and len(row) == 2 and all(type(v) is float for v in row) for row in X)
    assert all(type(label) is int for label in y)


def test_moons_geometry_without_noise():
    X, y = moons(n_samples=101, noise=0.0, seed=0)
    assert y.count(0) == 50 and y.count(1) == 51
    for (x1, x2), label in zip(X, y, strict=True):
        if label == 0:  # the upper moon is the unit half circle
            assert math.hypot(x1, x2) == pytest.approx(1.0, rel=1e-12) and x2 >= -1e-12
        else:  # the lower one is centred on (1, 0.5)
            assert math.hypot(x1 - 1, x2 - 0.5) == pytest.approx(1.0, rel=1e-12) and x2 <= 0.5 + 1e-12


def test_circles_geometry_without_noise():
    X, y = circles(n_samples=50, noise=0.0, factor=0.3)
    assert y.count(0) == 25 and y.count(1) == 25
    for (x1, x2), label in zip(X, y, strict=True):
        assert math.hypot(x1, x2) == pytest.approx(1.0 if label == 0 else 0.3, rel=1e-12)


def test_noise_has_the_requested_spread():
    clean, _ = circles(n_samples=2000, noise=0.0, seed=1)
    noisy, _ = circles(n_samples=2000, noise=0.2, seed=1)
    # same seed, same shuffle: the differences are the noise
    offsets = [b - a for p, q in zip(clean, noisy, strict=True) for a, b in zip(p, q, strict=True)]
    spread = math.sqrt(sum(d * d for d in offsets) / len(offsets))
    assert spread == pytest.approx(0.2, rel=0.05)


def test_spirals_have_one_arm_per_class():
    X, y = spirals(n_samples=90, n_classes=3, noise=0.0)
    assert sorted(set(y)) == [0, 1, 2] and all(y.count(k) == 30 for k in range(3))
    assert max(math.hypot(*row) for row in X) == pytest.approx(1.0)
    X5, y5 = spirals(n_samples=11, n_classes=5, noise=0.0)
    assert len(X5) == 11 and sorted(set(y5)) == [0, 1, 2, 3, 4]


def test_sine_is_121_points_on_minus_3_to_3():
    xs, ys = sine()
    assert len(xs) == len(ys) == 121
    assert xs[0] == -3.0 and xs[60] == 0.0 and xs[-1] == 3.0
    assert all(b - a == pytest.approx(0.05, rel=1e-9) for a, b in zip(xs, xs[1:]))  # noqa: B905
    assert ys == [math.sin(x) for x in xs]
    _, noisy = sine(noise=0.1, seed=2)
    assert noisy != ys and noisy == sine(noise=0.1, seed=2)[1]


def test_toy_is_the_lecture_set():
    xs, ys = toy()
    assert xs == [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    assert ys == [1.0, -1.0, -1.0, 1.0]


def test_train_val_split():
    X, y = moons(n_samples=50, seed=0)
    X_train, X_val, y_train, y_val = train_val_split(X, y, val_fraction=0.2, seed=1)
    assert len(X_val) == len(y_val) == 10 and len(X_train) == len(y_train) == 40
    pairs = sorted(map(repr, zip(X_train + X_val, y_train + y_val, strict=True)))
    assert pairs == sorted(map(repr, zip(X, y, strict=True)))
    assert train_val_split(X, y, 0.2, seed=1) == (X_train, X_val, y_train, y_val)
    assert len(train_val_split(X[:2], y[:2], 0.01)[1]) == 1


def test_numpy_arrays_are_accepted():
    np = pytest.importorskip("numpy")
    X, y = moons(n_samples=20)
    X_np, y_np = np.array(X), np.array(y)
    assert as_inputs(X_np) == X
    assert as_targets(y_np) == y and all(type(t) is int for t in as_targets(y_np))
    assert as_inputs(np.array([1.0, 2.0])) == [[1.0], [2.0]]
    assert train_val_split(X_np, y_np, seed=5) == train_val_split(X, y, seed=5)
    # scikit-learn's make_moons gives a float64 (n, 2) array and an int64 label array
    X_sk, y_sk = X_np.astype(np.float64), y_np.astype(np.int64)
    assert as_inputs(X_sk, nin=2) == X and as_targets(y_sk) == y
    assert as_inputs(list(X_sk)) == X  # a list of NumPy rows


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: moons(n_samples=1), ValueError, "n_samples"),
        (lambda: moons(noise=-0.1), ValueError, "noise"),
        (lambda: circles(factor=1.5), ValueError, "factor"),
        (lambda: spirals(n_samples=5, n_classes=3), ValueError, "at least 2 per class"),
        (lambda: spirals(turns=0), ValueError, "turns"),
        (lambda: sine(start=3, stop=-3), ValueError, "start must be below stop"),
        (lambda: train_val_split([[1.0]], [1]), ValueError, "at least 2 samples"),
        (lambda: train_val_split([[1.0], [2.0]], [1]), ValueError, "same length"),
        (lambda: train_val_split([[1.0], [2.0]], [1, 2], val_fraction=1.0), ValueError, "val_fraction"),
        (lambda: as_inputs([]), ValueError, "empty"),
        (lambda: as_inputs([[1.0, 2.0], [1.0]]), ValueError, "X\\[1\\] has 1 values"),
        (lambda: as_inputs([[1.0, math.inf]]), ValueError, "X\\[0\\]\\[1\\] is inf"),
        (lambda: as_inputs([["a"]]), TypeError, "X\\[0\\]\\[0\\] must be a real number"),
        (lambda: as_inputs([[1.0, 2.0]], nin=3), ValueError, "takes 3 inputs"),
        (lambda: as_inputs("abc"), TypeError, "sequence"),
        (lambda: as_targets([1, 2], n=3), ValueError, "3 inputs and 2 targets"),
        (lambda: as_targets([math.nan]), ValueError, "y\\[0\\] is nan"),
    ],
)
def test_bad_arguments_are_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_names_are_the_census_lists_shipped_in_the_package():
    from micrograd.data import names

    listed = names()
    assert len(listed) == 5163 == len(set(listed))
    assert listed[:3] == ["james", "john", "robert"]
    assert all(name.isascii() and name.isalpha() and name.islower() for name in listed)
    assert min(map(len, listed)) == 2 and max(map(len, listed)) == 11
    assert sorted({c for name in listed for c in name}) == list("abcdefghijklmnopqrstuvwxyz")
    listed.append("not a name")
    assert len(names()) == 5163  # each call gives a fresh list
