"""The tensor op table: each entry is one operation with the shapes to try, written once
against a library namespace ``lib`` (``micrograd.tensor``, or :data:`torch_lib` for PyTorch),
so the very same expression runs on both.

Inputs are made from a seed (NumPy's PCG64 gives the same numbers on every machine), and
so is the gradient fed into ``backward`` for outputs with more than one element. The
numbers PyTorch gives are stored in ``tests/reference/torch_tensor_float64.json``
(``tests/reference/make_tensor_reference.py``) and compared always; live PyTorch too
when it is installed.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np

# (kind, shape, low, high): kind "f" draws floats uniformly in [low, high), "i" integers in [low, high)
Spec = tuple[str, tuple[int, ...], float, float]
ANY, POSITIVE = (-2.0, 2.0), (0.2, 3.0)


def f(*shape: int, domain: tuple[float, float] = ANY) -> Spec:
    return ("f", shape, *domain)


def i(*shape: int, high: int) -> Spec:
    return ("i", shape, 0, high)


@dataclass(frozen=True)
class TensorCase:
    name: str
    fn: Callable[..., Any]  # fn(lib, *inputs)
    inputs: tuple[Spec, ...]
    value_ulps: int | None = 0  # forward values within this many ulps; None: a sum (checked relative to its size)
    fixed: tuple[Any, ...] | None = None  # explicit input arrays instead of random ones (ties, masks)


def _binary(name: str, fn: Callable[..., Any], domain: tuple[float, float] = ANY, ulps: int = 0) -> list[TensorCase]:
    """An elementwise binary op on equal shapes and on every kind of broadcast, and with a number."""
    shapes = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((4,), (2, 3, 1)), ((), (2, 3)),
              ((2, 1, 3), (4, 1))]  # fmt: skip
    cases = [
        TensorCase(f"{name}{a}{b}", lambda lib, x, y, fn=fn: fn(x, y), (f(*a, domain=domain), f(*b, domain=domain)),
                   ulps)  # fmt: skip
        for a, b in shapes
    ]
    cases.append(TensorCase(f"{name}(3,)const", lambda lib, x, fn=fn: fn(x, 1.5), (f(3, domain=domain),), ulps))
    cases.append(TensorCase(f"r{name}(3,)const", lambda lib, x, fn=fn: fn(1.5, x), (f(3, domain=domain),), ulps))
    return cases


def _unary(name: str, fn: Callable[..., Any], domain: tuple[float, float] = ANY, ulps: int = 2) -> TensorCase:
    return TensorCase(name, lambda lib, x, fn=fn: fn(x), (f(3, 4, domain=domain),), ulps)


TIES = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0]])
WITH_NAN = np.array([[1.0, np.nan, 2.0], [3.0, 4.0, 5.0]])
MASK_SOURCE = np.array([[0.5, -1.0, 2.0], [-0.5, 1.5, -2.0]])

TENSOR_OP_TABLE: tuple[TensorCase, ...] = (
    *_binary("add", lambda a, b: a + b),
    *_binary("sub", lambda a, b: a - b),
    *_binary("mul", lambda a, b: a * b),
    *_binary("div", lambda a, b: a / b, POSITIVE),
    *_binary("pow", lambda a, b: a**b, POSITIVE, ulps=2),
    _unary("neg", lambda x: -x, ulps=0),
    _unary("exp", lambda x: x.exp()),
    _unary("log", lambda x: x.log(), POSITIVE),
    _unary("sqrt", lambda x: x.sqrt(), POSITIVE),
    _unary("tanh", lambda x: x.tanh()),
    _unary("sigmoid", lambda x: x.sigmoid()),
    _unary("relu", lambda x: x.relu(), ulps=0),
    _unary("abs", lambda x: abs(x), ulps=0),
    _unary("sin", lambda x: x.sin()),
    _unary("cos", lambda x: x.cos()),
    _unary("square", lambda x: x**2, ulps=0),
    _unary("cube", lambda x: x**3, ulps=0),
    _unary("reciprocal", lambda x: x**-1, POSITIVE, ulps=0),
    _unary("pow_half", lambda x: x**0.5, POSITIVE),
    _unary("pow_minus_half", lambda x: x**-0.5, POSITIVE),
    _unary("pow_1.5", lambda x: x**1.5, POSITIVE),
    _unary("pow_zero", lambda x: x**0, ulps=0),
    TensorCase("where", lambda lib, c, a, b: lib.where(c > 0, a, b), (f(3, 1), f(1, 4), f(3, 4))),
    # matrix products
    TensorCase("matmul(3,4)@(4,5)", lambda lib, a, b: a @ b, (f(3, 4), f(4, 5)), None),
    TensorCase("matmul(2,3,4)@(2,4,5)", lambda lib, a, b: a @ b, (f(2, 3, 4), f(2, 4, 5)), None),
    TensorCase("matmul(2,3,4)@(4,5)", lambda lib, a, b: a @ b, (f(2, 3, 4), f(4, 5)), None),
    TensorCase("matmul(2,1,3,4)@(5,4,2)", lambda lib, a, b: a @ b, (f(2, 1, 3, 4), f(5, 4, 2)), None),
    TensorCase("matmul(4,)@(4,5)", lambda lib, a, b: a @ b, (f(4), f(4, 5)), None),
    TensorCase("matmul(3,4)@(4,)", lambda lib, a, b: a @ b, (f(3, 4), f(4)), None),
    TensorCase("matmul(4,)@(4,)", lambda lib, a, b: a @ b, (f(4), f(4)), None),
    # reductions
    TensorCase("sum()", lambda lib, x: x.sum(), (f(3, 4),), None),
    TensorCase("sum(1)", lambda lib, x: x.sum(1), (f(3, 4),), None),
    TensorCase("sum((0,2),keepdim)", lambda lib, x: x.sum((0, 2), keepdim=True), (f(2, 3, 4),), None),
    TensorCase("sum(-1,keepdims)", lambda lib, x: x.sum(-1, keepdims=True), (f(2, 3, 4),), None),
    TensorCase("mean()", lambda lib, x: x.mean(), (f(3, 4),), None),
    TensorCase("mean(0)", lambda lib, x: x.mean(0), (f(3, 4),), None),
    TensorCase("mean((1,2),keepdim)", lambda lib, x: x.mean((1, 2), keepdim=True), (f(2, 3, 4),), None),
    TensorCase("var()", lambda lib, x: x.var(), (f(3, 4),), None),
    TensorCase("var(1)", lambda lib, x: x.var(1), (f(3, 4),), None),
    TensorCase("var(0,unbiased=False)", lambda lib, x: x.var(0, unbiased=False), (f(3, 4),), None),
    TensorCase("var(1,correction=0,keepdim)", lambda lib, x: x.var(1, correction=0, keepdim=True), (f(3, 4),), None),
    TensorCase("std()", lambda lib, x: x.std(), (f(3, 4),), None),
    TensorCase("std(1,keepdim)", lambda lib, x: x.std(1, keepdim=True), (f(3, 4),), None),
    TensorCase("max()", lambda lib, x: x.max(), (f(3, 4),)),
    TensorCase("max()ties", lambda lib, x: x.max(), (f(2, 3),), fixed=(TIES,)),
    TensorCase("max(1)", lambda lib, x: x.max(1).values, (f(3, 4),)),
    TensorCase("max(1)ties", lambda lib, x: x.max(1).values, (f(2, 3),), fixed=(TIES,)),
    TensorCase("max(1)ties indices", lambda lib, x: x.max(1).indices, (f(2, 3),), fixed=(TIES,)),
    TensorCase("amax(1)nan", lambda lib, x: x.amax(1), (f(2, 3),), fixed=(WITH_NAN,)),
    TensorCase("max()nan", lambda lib, x: x.max(), (f(2, 3),), fixed=(WITH_NAN,)),
    TensorCase("min()nan", lambda lib, x: x.min(), (f(2, 3),), fixed=(WITH_NAN,)),
    TensorCase("max(0)nan", lambda lib, x: x.max(0).values, (f(2, 3),), fixed=(WITH_NAN,)),
    TensorCase("max(0,keepdim)", lambda lib, x: x.max(0, keepdim=True)[0], (f(3, 4),)),
    TensorCase("max(1)indices", lambda lib, x: x.max(1).indices, (f(3, 4),)),
    TensorCase("min(1)", lambda lib, x: x.min(1).values, (f(3, 4),)),
    TensorCase("amax(1)ties", lambda lib, x: x.amax(1), (f(2, 3),), fixed=(TIES,)),
    TensorCase("amax((0,1))", lambda lib, x: x.amax((0, 1)), (f(2, 3, 4),)),
    TensorCase("amin(0,keepdim)", lambda lib, x: x.amin(0, keepdim=True), (f(3, 4),)),
    TensorCase("argmax()", lambda lib, x: x.argmax(), (f(3, 4),)),
    TensorCase("argmax(1)", lambda lib, x: x.argmax(1), (f(3, 4),)),
    TensorCase("argmin(0,keepdim)", lambda lib, x: x.argmin(0, keepdim=True), (f(3, 4),)),
    # shapes
    TensorCase("reshape(-1,2)", lambda lib, x: x.reshape(-1, 2) * x.reshape(-1, 2), (f(3, 4),)),
    TensorCase("view(2,6)", lambda lib, x: x.view(2, 6).exp(), (f(3, 4),), 2),
    TensorCase("flatten", lambda lib, x: x.flatten(1) * 2.0, (f(2, 3, 4),)),
    TensorCase("unsqueeze_squeeze", lambda lib, x: x.unsqueeze(1).squeeze(), (f(3, 4),)),
    TensorCase("transpose(0,1)", lambda lib, x: x.transpose(0, 1) * x.transpose(0, 1), (f(3, 4),)),
    TensorCase("permute(2,0,1)", lambda lib, x: x.permute(2, 0, 1) * 3.0, (f(2, 3, 4),)),
    TensorCase("T", lambda lib, x: x.T * x.T, (f(3, 4),)),
    # indexing
    TensorCase("index[1:,::2]", lambda lib, x: x[1:, ::2] * 2.0, (f(3, 4),)),
    TensorCase("index[1]", lambda lib, x: x[1], (f(3, 4),)),
    TensorCase("index[...,-1]", lambda lib, x: x[..., -1], (f(2, 3, 4),)),
    TensorCase("index[None,:,2]", lambda lib, x: x[None, :, 2], (f(3, 4),)),
    TensorCase("index[[0,2,0]]", lambda lib, x, idx: x[idx], (f(3, 4), i(5, high=3))),
    TensorCase("index[arange,y]", lambda lib, x, y: x[lib.arange(5), y], (f(5, 4), i(5, high=4))),
    TensorCase("embedding C[X]", lambda lib, C, X: C[X], (f(6, 3), i(4, 3, high=6))),
    TensorCase("index[mask]", lambda lib, x: x[x > 0], (f(2, 3),), fixed=(MASK_SOURCE,)),
    TensorCase("index[tensor,1:]", lambda lib, x, idx: x[idx, 1:], (f(4, 3), i(3, high=4))),
    # joins
    TensorCase("cat(dim=0)", lambda lib, a, b: lib.cat([a, b]), (f(2, 3), f(4, 3))),
    TensorCase("cat(dim=1)", lambda lib, a, b, c: lib.cat([a, b, c], dim=1), (f(2, 3), f(2, 1), f(2, 2))),
    TensorCase("cat(dim=-1)", lambda lib, a, b: lib.cat([a, b], -1) * 2.0, (f(2, 3, 2), f(2, 3, 3))),
    TensorCase("stack(dim=0)", lambda lib, a, b: lib.stack([a, b]), (f(2, 3), f(2, 3))),
    TensorCase("stack(dim=2)", lambda lib, a, b, c: lib.stack([a, b, c], dim=2), (f(2, 3), f(2, 3), f(2, 3))),
    # the softmax family
    TensorCase("log_softmax(1)", lambda lib, x: lib.log_softmax(x, dim=1), (f(4, 5),), None),
    TensorCase("log_softmax(0)", lambda lib, x: lib.log_softmax(x, dim=0), (f(4, 5),), None),
    TensorCase("softmax(1)", lambda lib, x: lib.softmax(x, dim=1), (f(4, 5),), None),
    TensorCase("softmax(-1)3d", lambda lib, x: lib.softmax(x, dim=-1), (f(2, 3, 4),), None),
    TensorCase("softmax(1)large", lambda lib, x: lib.softmax(x * 400.0, dim=1), (f(4, 5),), None),
    TensorCase("cross_entropy", lambda lib, x, y: lib.cross_entropy(x, y), (f(6, 5), i(6, high=5)), None),
    TensorCase("cross_entropy_large", lambda lib, x, y: lib.cross_entropy(x * 300.0, y), (f(4, 3), i(4, high=3)), None),
    TensorCase("one_hot", lambda lib, y: lib.one_hot(y, 5), (i(6, high=5),)),
    TensorCase("one_hot@W", lambda lib, y, W: lib.one_hot(y, 5).double() @ W, (i(6, high=5), f(5, 3)), None),
    # comparisons and dtypes
    TensorCase("lt", lambda lib, a, b: a < b, (f(3, 1), f(1, 4))),
    TensorCase("ge_const", lambda lib, a: a >= 0.5, (f(3, 4),)),
    TensorCase("eq", lambda lib, a: a == a.amax(1, keepdim=True), (f(3, 4),)),
    TensorCase("float32 roundtrip", lambda lib, x: x.float().double() * 2.0, (f(3, 4),)),
    TensorCase("bool.float()", lambda lib, x: (x > 0).float(), (f(3, 4),)),
    # whole expressions
    TensorCase("mlp", lambda lib, x, W1, b1, W2: ((x @ W1 + b1).tanh() @ W2).relu().mean(),
               (f(5, 3), f(3, 4), f(4), f(4, 2)), None),
    TensorCase("batchnorm", lambda lib, x: (x - x.mean(0, keepdim=True)) / (x.var(0, keepdim=True) + 1e-5).sqrt(),
               (f(6, 4),), None),
    TensorCase("bigram", lambda lib, y, W: -lib.softmax(lib.one_hot(y, 5).double() @ W, dim=1)[lib.arange(6), y]
               .log().mean(), (i(6, high=5), f(5, 5)), None),
)  # fmt: skip


def torch_lib(torch: Any) -> SimpleNamespace:
    """PyTorch's spelling of the functions the table calls through ``lib``."""
    F = torch.nn.functional
    return SimpleNamespace(
        cat=torch.cat,
        stack=torch.stack,
        where=torch.where,
        arange=torch.arange,
        log_softmax=lambda x, dim: F.log_softmax(x, dim=dim),
        softmax=lambda x, dim: F.softmax(x, dim=dim),
        cross_entropy=F.cross_entropy,
        one_hot=F.one_hot,
    )


def _seed(name: str, salt: int) -> int:
    return zlib.crc32(f"{name}/{salt}".encode())


def case_inputs(case: TensorCase) -> list[np.ndarray]:
    """The case's input arrays (float64 or int64), the same on every machine."""
    if case.fixed is not None:
        return [np.array(a) for a in case.fixed]
    rng = np.random.default_rng(_seed(case.name, 0))
    arrays = []
    for kind, shape, low, high in case.inputs:
        if kind == "f":
            arrays.append(rng.uniform(low, high, size=shape))
        else:
            arrays.append(rng.integers(int(low), int(high), size=shape, dtype=np.int64))
    return arrays


def differentiable_run(case: TensorCase) -> tuple[list[np.ndarray], list[Any], Any] | None:
    """The case's input arrays, its micrograd leaves and output, or None when the output has no gradient."""
    import micrograd.tensor as mt

    arrays = case_inputs(case)
    xs = [mt.Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = case.fn(mt, *xs)
    if out.dtype.kind != "f" or not out.requires_grad:
        return None
    return arrays, xs, out


def stored_arrays(entry: dict[str, Any]) -> dict[str, Any]:
    """A stored reference entry with its lists of numbers back as arrays (None kept)."""
    def array(item: Any) -> Any:
        return None if item is None else np.array(item["data"], dtype=item["dtype"]).reshape(item["shape"])

    return {key: [array(g) for g in value] if isinstance(value, list) else array(value) for key, value in entry.items()}


def upstream(case: TensorCase, shape: tuple[int, ...]) -> np.ndarray:
    """The gradient fed into backward: random, so that every output element's gradient counts."""
    return np.random.default_rng(_seed(case.name, 1)).uniform(-1.0, 1.0, size=shape)


def _run(case: TensorCase, lib: Any, make: Callable[[np.ndarray], Any], to_numpy: Callable[[Any], np.ndarray],
         backward: Callable[[Any, np.ndarray], None], is_float: Callable[[Any], bool],
         dtype: Any = np.float64) -> dict[str, Any]:  # fmt: skip
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in case_inputs(case)]
    xs = [make(a) for a in arrays]
    out = case.fn(lib, *xs)
    value = to_numpy(out)
    result: dict[str, Any] = {"value": value, "grads": []}
    if is_float(out) and getattr(out, "requires_grad", False):
        backward(out, upstream(case, value.shape).astype(value.dtype))
        result["grads"] = [to_numpy(x.grad) if x.grad is not None else None for x in xs if is_float(x)]
    return result


def evaluate_ours(case: TensorCase, dtype: Any = np.float64) -> dict[str, Any]:
    """Our value and gradients, with the float inputs (and the upstream gradient) in ``dtype``."""
    import micrograd.tensor as mt

    def make(a: np.ndarray) -> Any:
        return mt.Tensor(a, requires_grad=a.dtype.kind == "f")

    return _run(case, mt, make, lambda t: np.asarray(t.data if isinstance(t, mt.Tensor) else t),
                lambda out, g: out.backward(g), lambda t: t.dtype.kind == "f", dtype)  # fmt: skip


def evaluate_torch(case: TensorCase, torch: Any, dtype: Any = np.float64) -> dict[str, Any]:
    def make(a: np.ndarray) -> Any:
        return torch.tensor(a, requires_grad=a.dtype.kind == "f")

    def backward(out: Any, g: np.ndarray) -> None:
        out.backward(torch.tensor(g, dtype=out.dtype))

    return _run(case, torch_lib(torch), make, lambda t: t.detach().numpy(), backward,
                lambda t: t.dtype.is_floating_point, dtype)  # fmt: skip


def ulps(ours: np.ndarray, theirs: np.ndarray) -> float:
    """The largest distance between two float arrays in units in the last place of PyTorch's numbers,
    in their own precision (0 when equal, nan included)."""
    precision = np.asarray(theirs).dtype if np.asarray(theirs).dtype.kind == "f" else np.float64
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    if same.all():
        return 0.0
    with np.errstate(all="ignore"):
        distance = np.abs(ours - theirs) / np.spacing(np.abs(theirs).astype(precision)).astype(np.float64)
    return float(np.max(np.where(same, 0.0, np.nan_to_num(distance, nan=np.inf))))


def relative(ours: np.ndarray, theirs: np.ndarray) -> float:
    """max |ours - theirs| / max |theirs|: the error relative to the size of the result."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    same = (ours == theirs) | (np.isnan(ours) & np.isnan(theirs))
    if same.all():
        return 0.0
    scale = np.max(np.abs(np.where(np.isfinite(theirs), theirs, 0.0)))
    with np.errstate(all="ignore"):
        distance = np.nan_to_num(np.abs(ours - theirs), nan=np.inf)  # nan on one side only: infinitely far
    return float(np.max(np.where(same, 0.0, distance)) / max(scale, np.finfo(np.float64).tiny))


def differences(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    """How far apart two evaluations are: value ulps, value relative error, worst gradient relative error.

    Raises AssertionError when they differ in kind (shape, dtype, which gradients exist)."""
    a, b = np.asarray(ours["value"]), np.asarray(theirs["value"])
    assert a.shape == b.shape, f"value shape {a.shape} != {b.shape}"
    assert a.dtype.kind == b.dtype.kind and a.dtype.itemsize == b.dtype.itemsize, f"dtype {a.dtype} != {b.dtype}"
    if a.dtype.kind != "f":
        assert np.array_equal(a, b), f"values differ: {a} != {b}"
        return {"value_ulps": 0.0, "value_rel": 0.0, "grad_rel": 0.0}
    assert len(ours["grads"]) == len(theirs["grads"])
    grad_rel = 0.0
    for k, (ga, gb) in enumerate(zip(ours["grads"], theirs["grads"])):
        assert (ga is None) == (gb is None), f"grad {k}: {ga} vs {gb}"
        if ga is not None:
            assert np.shape(ga) == np.shape(gb), f"grad {k} shape {np.shape(ga)} != {np.shape(gb)}"
            assert np.asarray(ga).dtype == np.asarray(gb).dtype, f"grad {k} dtype"
            grad_rel = max(grad_rel, relative(ga, gb))
    return {"value_ulps": ulps(a, b), "value_rel": relative(a, b), "grad_rel": grad_rel}


GRAD_TOLERANCE = 1e-13
SUM_TOLERANCE = 1e-13

# float32 against PyTorch float32: NumPy and PyTorch sum float32 in float32, each in its own order
# (NumPy pairwise in blocks of 128, PyTorch a cascade of vectorised partial sums), and BLAS's sgemm
# blocks differ from MKL-DNN's, so sums, products and every gradient agree to a few ulps of the
# largest element (float32's ulp of 1 is 1.2e-7), not bit for bit.
FLOAT32_SUM_TOLERANCE = 4e-7
FLOAT32_GRAD_TOLERANCE = 3e-7
FLOAT32_CASES = tuple(c for c in TENSOR_OP_TABLE if "double" not in c.name and c.name not in ("one_hot@W", "bigram"))
"""Every case but those that mix in float64 with ``.double()`` (PyTorch's @ refuses mixed dtypes)."""


def check_float32(case: TensorCase, found: dict[str, float]) -> None:
    """float32 values within the case's ulps (at least 1: a float32 op may round differently from
    PyTorch's vectorised one where float64's agree), sums within FLOAT32_SUM_TOLERANCE of their size,
    gradients within FLOAT32_GRAD_TOLERANCE."""
    if case.value_ulps is None:
        assert found["value_rel"] <= FLOAT32_SUM_TOLERANCE, f"{case.name}: value off by {found['value_rel']:.3g}"
    else:
        assert found["value_ulps"] <= max(case.value_ulps, 1), f"{case.name}: value {found['value_ulps']:.3g} ulps"
    assert found["grad_rel"] <= FLOAT32_GRAD_TOLERANCE, f"{case.name}: gradient off by {found['grad_rel']:.3g}"


def check(case: TensorCase, found: dict[str, float]) -> None:
    """The case's promise: values within its ulps (sums within SUM_TOLERANCE of their size), gradients within
    GRAD_TOLERANCE of theirs."""
    if case.value_ulps is None:
        assert found["value_rel"] <= SUM_TOLERANCE, f"{case.name}: value off by {found['value_rel']:.3g} relative"
    else:
        assert found["value_ulps"] <= case.value_ulps, f"{case.name}: value {found['value_ulps']:.3g} ulps away"
    assert found["grad_rel"] <= GRAD_TOLERANCE, f"{case.name}: gradient off by {found['grad_rel']:.3g} relative"


# --- second order: gradients of gradients ---------------------------------------------------
#
# For each case: the first gradients g_k = ∂(Σ G·out)/∂x_k are computed with create_graph, then
# s = Σ_k Σ V_k·g_k is differentiated again, with respect to every input (a Hessian-vector
# product, H·V, the mixed second derivatives included) and to G (a Jacobian-vector product, J·V).


def directions(case: TensorCase, arrays: list[np.ndarray]) -> list[np.ndarray | None]:
    """The vectors V of the Hessian-vector product, one per float input, the same on every machine."""
    rng = np.random.default_rng(_seed(case.name, 2))
    return [rng.uniform(-1.0, 1.0, size=a.shape) if a.dtype.kind == "f" else None for a in arrays]


def _second(case: TensorCase, lib: Any, make: Callable[..., Any], to_numpy: Callable[[Any], np.ndarray],
            grad: Callable[..., Any], is_float: Callable[[Any], bool]) -> dict[str, Any] | None:  # fmt: skip
    arrays = case_inputs(case)
    xs = [make(a, a.dtype.kind == "f") for a in arrays]
    out = case.fn(lib, *xs)
    if not is_float(out) or not out.requires_grad:
        return None
    G = make(upstream(case, tuple(out.shape)), True)
    floats = [x for x in xs if is_float(x)]
    first = grad([out], floats, [G], create_graph=True, allow_unused=True)
    s = None
    for g, v in zip(first, [v for v in directions(case, arrays) if v is not None]):
        if g is not None and g.requires_grad:
            term = (g * make(v, False)).sum()
            s = term if s is None else s + term
    second = [np.zeros(x.shape) for x in [*floats, G]] if s is None else \
        [to_numpy(h) for h in grad([s], [*floats, G], None, allow_unused=True, materialize_grads=True)]  # fmt: skip
    return {"value": to_numpy(out), "grads": [None if g is None else to_numpy(g) for g in first], "second": second}


def second_ours(case: TensorCase) -> dict[str, Any] | None:
    import micrograd.tensor as mt

    def grad(outputs: Any, inputs: Any, grad_outputs: Any, **options: Any) -> Any:
        return mt.grad(outputs, inputs, grad_outputs, **options)

    return _second(case, mt, lambda a, rg: mt.Tensor(a, requires_grad=rg), lambda t: np.asarray(t.data), grad,
                   lambda t: t.dtype.kind == "f")  # fmt: skip


def second_torch(case: TensorCase, torch: Any) -> dict[str, Any] | None:
    def grad(outputs: Any, inputs: Any, grad_outputs: Any, **options: Any) -> Any:
        if options.get("materialize_grads"):
            options["allow_unused"] = True
        return torch.autograd.grad(outputs, inputs, grad_outputs, **options)

    return _second(case, torch_lib(torch), lambda a, rg: torch.tensor(a, requires_grad=rg),
                   lambda t: t.detach().numpy(force=True), grad, lambda t: t.dtype.is_floating_point)  # fmt: skip


SECOND_TOLERANCE = 1e-13


def second_differences(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, float]:
    """The worst relative distance of the first gradients (made with create_graph) and of the second."""
    first = max((relative(a, b) for a, b in zip(ours["grads"], theirs["grads"]) if b is not None), default=0.0)
    for k, (a, b) in enumerate(zip(ours["grads"], theirs["grads"])):
        assert (a is None) == (b is None), f"first gradient {k}: {a} vs {b}"
    assert len(ours["second"]) == len(theirs["second"])
    second = 0.0
    for k, (a, b) in enumerate(zip(ours["second"], theirs["second"])):
        assert np.shape(a) == np.shape(b), f"second gradient {k}: shape {np.shape(a)} != {np.shape(b)}"
        second = max(second, relative(a, b))
    return {"first": first, "second": second}
