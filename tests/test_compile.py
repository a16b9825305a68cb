"""micrograd.compile: traced, generated code gives eager micrograd's numbers, in both backends."""

from __future__ import annotations

import importlib.util
import math
import random
import subprocess
import sys
import warnings

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from strategies import agree, programs, run_micrograd

import micrograd
from micrograd import MLP, Value, dot, no_grad
from micrograd.compiler import Compiled, TracingError, TracingWarning
from micrograd.compiler.codegen import NUMPY, PYTHON, Expr, numpy_namespace, python_namespace
from micrograd.data import moons
from micrograd.losses import mse_loss
from micrograd.ops import FloatMath

HAVE_NUMPY = importlib.util.find_spec("numpy") is not None
needs_numpy = pytest.mark.skipif(not HAVE_NUMPY, reason='the NumPy backend needs NumPy: pip install -e ".[numpy]"')
needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None, reason='the demos draw with Matplotlib: pip install -e ".[demo]"'
)
BACKENDS = ("numpy", "python") if HAVE_NUMPY else ("python",)
"""The backends the property tests and loops draw from: those that can run here."""
EACH_BACKEND = [pytest.param("numpy", marks=needs_numpy), "python"]
"""The backends a parametrized test runs on, the NumPy one skipped with its reason when NumPy is missing."""


def eager(fn, batches, params, reduction="mean"):
    """The reference: the same function run on Values, summed, backpropagated."""
    for p in params:
        p.grad = 0.0
    count = len(batches[0])

    def wrap(item):
        return [Value(v) for v in item] if isinstance(item, (list, tuple)) else Value(item)

    outs = [fn(*(wrap(b[i]) for b in batches)) for i in range(count)]
    total = outs[0]
    for out in outs[1:]:
        total = total + out
    loss = total / count if reduction == "mean" else total
    loss.backward()
    return loss.data, [p.grad for p in params]


def assert_same(compiled_loss, compiled_grads, eager_loss, eager_grads, rel=1e-12):
    """Loss and every gradient equal to ``rel``, relative to the largest gradient for the
    gradients (each is a sum of terms about that size, summed in a different order)."""
    scale = max([abs(g) for g in eager_grads if math.isfinite(g)] + [0.0])
    assert agree(compiled_loss, eager_loss, rel), (compiled_loss, eager_loss)
    bad = [(i, a, b) for i, (a, b) in enumerate(zip(compiled_grads, eager_grads)) if not agree(a, b, rel, scale)]
    assert not bad, bad[:5]


def compare(fn, batches, backend, reduction="mean", rel=1e-12):
    step = micrograd.compile(fn, backend=backend)
    step.trace(*(b[0] for b in batches))
    params = step.parameters
    for p in params:
        p.grad = 0.0
    loss = step(*batches, reduction=reduction)
    grads = [p.grad for p in params]
    assert_same(loss, grads, *eager(fn, batches, params, reduction), rel=rel)
    return step


def moons_problem(seed=1337, **kwargs):
    random.seed(seed)
    X, labels = moons(100, noise=0.1, seed=0)
    y = [2.0 * label - 1 for label in labels]
    model = MLP(2, [16, 16, 1], **kwargs)
    params = model.parameters()

    def loss_fn(x, yi):
        return (1 + -yi * model(x)).relu() + 1e-4 * sum(p * p for p in params)

    return model, loss_fn, X, y


# --- the same numbers as eager code ----------------------------------------------------


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_moons_step_equals_eager_loss_and_every_gradient(backend):
    model, loss_fn, X, y = moons_problem()
    compare(loss_fn, [X, y], backend)


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_lecture_shaped_unfused_model_compiles_too(backend):
    model, loss_fn, X, y = moons_problem(fused=False)
    compare(loss_fn, [X[:20], y[:20]], backend)


@settings(max_examples=25)
@given(
    sizes=st.lists(st.integers(1, 6), min_size=1, max_size=3),
    nin=st.integers(1, 4),
    activation=st.sampled_from(("relu", "tanh", "sigmoid", "linear")),
    output=st.sampled_from(("relu", "tanh", "sigmoid", "linear")),
    fused=st.booleans(),
    count=st.integers(1, 9),
    reduction=st.sampled_from(("mean", "sum")),
    backend=st.sampled_from(BACKENDS),
    seed=st.integers(0, 2**16),
)
def test_random_models_and_inputs_equal_eager(sizes, nin, activation, output, fused, count, reduction, backend, seed):
    rng = random.Random(seed)
    model = MLP(nin, sizes, activation=activation, output_activation=output, fused=fused, rng=rng)
    X = [[rng.uniform(-3, 3) for _ in range(nin)] for _ in range(count)]
    Y = [[rng.uniform(-1, 1) for _ in range(sizes[-1])] for _ in range(count)]
    params = model.parameters()

    def loss_fn(x, y):
        out = model(x)
        out = out if isinstance(out, list) else [out]
        return sum((o - t) ** 2 for o, t in zip(out, y)) + 1e-3 * sum(p * p for p in params)

    compare(loss_fn, [X, Y], backend, reduction)


@given(programs(), st.sampled_from(BACKENDS))
def test_random_expressions_equal_eager(program, backend):
    """Every op's rule, on random graphs: leaf 0 is the data, the other leaves parameters."""
    note(repr(program))
    reference = run_micrograd(program)
    params = [Value(v) for v in program.leaves[1:]]
    step = micrograd.compile(lambda x: program.run([x, *params]) * 1.0, backend=backend)
    loss = step([program.leaves[0]], reduction="sum")
    scales = reference["scales"]
    if backend == "python":  # the very same float operations, in the same order
        assert loss == reference["value"] or (math.isnan(loss) and math.isnan(reference["value"]))
    # NumPy's exp, tanh and pow may differ from the C library's by one unit in the last place:
    # rounding is measured against the size of the terms each number was computed from
    assert agree(loss, reference["value"], 1e-12, scales["value"]), (loss, reference["value"])
    for i, p in enumerate(params, start=1):
        assert agree(p.grad, reference["grads"][i], 1e-12, scales["grads"][i]), (i, p.grad, reference["grads"][i])


@pytest.mark.torch
def test_compiled_moons_step_equals_pytorch(torch_module):
    torch = torch_module
    model, loss_fn, X, y = moons_problem()
    step = micrograd.compile(loss_fn, backend="numpy")
    loss = step(X, y)
    layers = []
    for layer in model.layers:
        linear = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons)).double()
        with torch.no_grad():
            linear.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        layers.append(linear)
    net = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1], torch.nn.ReLU(), layers[2])
    scores = net(torch.tensor(X, dtype=torch.float64)).squeeze(1)
    reg = sum((p * p).sum() for p in net.parameters())
    expected = torch.relu(1 - torch.tensor(y, dtype=torch.float64) * scores).mean() + 1e-4 * reg
    expected.backward()
    assert agree(loss, expected.item(), 1e-12)
    theirs = []
    for linear in layers:
        for row, b in zip(linear.weight.grad.tolist(), linear.bias.grad.tolist()):
            theirs += [*row, b]
    ours = [p.grad for p in model.parameters()]
    scale = max(map(abs, theirs))
    assert all(agree(a, b, 1e-12, scale) for a, b in zip(ours, theirs))


def test_pow_by_constant_forms_are_floatmath_s_bit_for_bit():
    """The dialects write x ** c in the forms FloatMath.pow_by_constant computes (x·x, √x, 1/√x …)."""
    xs = [0.0, -0.0, 1.5, -1.5, 3.0, -2.0, math.inf, -math.inf, math.nan, 1e-300, 1e300]
    for c in (2, 0.5, -0.5, -1, 3, -2, 1.5, 0, 1, -3, 2.5):
        code = PYTHON.pow_by_constant(Expr.name("x"), c)
        for x in xs:
            ours = eval(code.text, python_namespace(), {"x": x})  # noqa: S307 - our own generated text
            expected = FloatMath.pow_by_constant(x, c)
            assert repr(ours) == repr(expected), (c, x, ours, expected)


def test_numpy_dialect_keeps_ieee_results_and_never_raises():
    pytest.importorskip("numpy")
    w = Value(2.0)

    def f(x):
        return w / x + (x - 1.0).log() + x ** w + (x * -1.0) ** 0.5 + x.sqrt()

    for backend in BACKENDS:
        step = micrograd.compile(f, backend=backend)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no RuntimeWarning from NumPy either
            outs = step([0.0, -0.0, 1.0, -4.0], reduction="none")
        expected = [f(Value(v)).data for v in (0.0, -0.0, 1.0, -4.0)]
        assert [repr(v) for v in outs] == [repr(v) for v in expected]
        if backend == "numpy":  # the outputs above came from NumPy array code, not a fallback
            assert "np.log(" in step.source and "np.errstate(all=\"ignore\")" in step.source
    assert NUMPY.div(1.0, 0.0) == math.inf and math.isnan(NUMPY.div(0.0, 0.0))


# --- what the generated code is --------------------------------------------------------


@needs_numpy
def test_moons_numpy_source_is_three_matrix_products_derived_from_the_dot_rule():
    model, loss_fn, X, y = moons_problem()
    step = micrograd.compile(loss_fn, backend="numpy")
    step(X, y)
    source = step.source
    for k, x in ((1, "x"), (2, "relu1"), (3, "relu2")):
        assert f"z{k} = b{k}[:, None] + W{k} @ {x}" in source
        assert f"g_W{k} = g_z{k} @ {x}.T" in source  # Σ over the batch of the dot rule's g·xⱼ
        assert f"g_b{k} = g_z{k}.sum(axis=1)" in source
    assert "g_relu2 = W3.T @ g_z3" in source and "g_relu1 = W2.T @ g_z2" in source  # Σ over neurons of g·wⱼ
    assert "g_x" not in source  # the data needs no gradient
    assert "p1 = theta[0:337]" in source and "np.sum(mul1, axis=0)" in source  # L2: one sum of squares
    assert "np.array([" not in source  # every parameter array is a slice of theta, nothing is gathered
    assert source.count("\n") < 90


def test_python_source_has_one_line_per_operation_and_no_numpy():
    w = Value(0.5, label="w")

    def f(x):
        return (x * w + 1.0).tanh()

    step = micrograd.compile(f, backend="python")
    step([1.0, 2.0])
    source = step.source
    assert "np." not in source
    assert "tanh(" in source and "# tanh  tanh x" in source
    assert "v2 = x_s * w" in source  # a parameter's label names it
    assert "g_v4 = seed * (1.0 - v5 * v5)" in source  # Tanh's own rule: g·(1 - tanh²)


def free_names(source: str) -> set[str]:
    """Names the source reads that it never binds itself (no assignment, argument or def)."""
    import ast

    tree = ast.parse(source)
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments) for a in (*n.args, *n.kwonlyargs)}
    bound |= {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound


def test_generated_code_is_self_contained_python():
    """The source runs with only its backend's names (FloatMath's functions, or np) and gives the step's numbers."""
    import builtins

    model, loss_fn, X, y = moons_problem()
    for backend in BACKENDS:
        step = micrograd.compile(loss_fn, backend=backend)
        loss = step(X[:3], y[:3], reduction="sum")
        namespace = numpy_namespace(__import__("numpy")) if backend == "numpy" else python_namespace()
        code = compile(step.source, "<generated>", "exec")  # builtin compile: it is valid Python
        free = {n for n in free_names(step.source) if n not in namespace and not hasattr(builtins, n)}
        assert free == set(), (backend, free)
        defined: dict = dict(namespace)
        exec(code, defined)  # noqa: S102 - our own generated text
        if backend == "python":
            theta = [p.data for p in step.parameters]
            total, _ = defined["forward_backward"](theta, X[:3], y[:3], 1.0)
            assert total == loss


# --- parameters: read fresh, accumulate like eager ---------------------------------------


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_parameters_are_read_fresh_and_grads_accumulate_like_backward(backend):
    w, b = Value(2.0), Value(-1.0)

    def f(x):
        return (w * x + b) ** 2

    step = micrograd.compile(f, backend=backend)
    assert step([1.0, 2.0]) == ((2 - 1) ** 2 + (4 - 1) ** 2) / 2
    assert (w.grad, b.grad) == ((2 * 1 * 1 + 2 * 3 * 2) / 2, (2 * 1 + 2 * 3) / 2)
    step([1.0, 2.0])  # no zero_grad: accumulates, as backward() does
    assert (w.grad, b.grad) == (2 * 7.0, 2 * 4.0)
    w.data = 0.0  # an optimizer step: the next call sees it
    w.grad = b.grad = 0.0
    assert step([1.0, 2.0], reduction="sum") == 2.0
    assert (w.grad, b.grad) == (-2.0 * 1 - 2.0 * 2, -4.0)
    assert step.parameters == [w, b] or set(map(id, step.parameters)) == {id(w), id(b)}


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_values_made_while_tracing_are_constants(backend):
    w = Value(3.0)

    def f(x):
        c = Value(10.0)  # new at every call: a constant
        return w * x * c

    step = micrograd.compile(f, backend=backend)
    assert step([2.0]) == 60.0
    assert step.parameters == [w] and w.grad == 20.0


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_reduction_none_and_several_outputs(backend):
    random.seed(3)
    model = MLP(2, [3, 2])
    step = micrograd.compile(lambda x: model(x), backend=backend)
    X = [[0.5, -1.0], [2.0, 0.25], [-1.0, -1.0]]
    outs = step(X, reduction="none")
    expected = [tuple(v.data for v in model(x)) for x in X]
    assert len(outs) == 3
    for got, want in zip(outs, expected):
        assert all(agree(a, b, 1e-12) for a, b in zip(got, want))
    with pytest.raises(ValueError, match="returns 2 Values; reduction='mean' needs exactly one"):
        step(X)
    assert all(p.grad == 0.0 for p in model.parameters())


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_no_grad_computes_the_loss_without_gradients(backend):
    model, loss_fn, X, y = moons_problem()
    step = micrograd.compile(loss_fn, backend=backend)
    with no_grad():
        loss = step(X[:5], y[:5])
    assert all(p.grad == 0.0 for p in model.parameters())
    assert agree(loss, step(X[:5], y[:5]), 1e-12)
    assert any(p.grad != 0.0 for p in model.parameters())


@needs_numpy
def test_each_argument_shape_gets_its_own_trace():
    w = Value(1.5)
    step = micrograd.compile(lambda x: sum(x, Value(0.0)) * w, backend="numpy")
    assert step([[1.0, 2.0]]) == 4.5
    assert step([[1.0, 2.0, 3.0]]) == 9.0
    assert step([[1.0, 2.0]], reduction="sum") == 4.5
    assert "2 trace(s)" in repr(step)


@needs_numpy
def test_weights_shared_between_neurons_use_one_theta_entry():
    w = [Value(0.31), Value(-0.72)]
    b = Value(0.13)

    def f(x):  # a "layer" of two neurons with the same weights, and one with them swapped
        return dot(w, x, b).tanh() * dot(w, x, b) + dot([w[1], w[0]], x, b).relu()

    step = compare(f, [[[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]]], "numpy")
    assert step.parameters == [*w, b]  # three parameters, each once
    assert "theta: the values of 3 parameters" in step.source
    # the 3×2 weights gather theta[0] and theta[1] (swapped for the third neuron), the biases theta[2]
    assert "0, 1, 0, 1, 1, 0," in step.source and "2, 2, 2," in step.source
    assert "np.add.at(gtheta, index, g_W1.ravel())" in step.source  # repeated entries add up


# --- honest about tracing ----------------------------------------------------------------


def test_reading_a_placeholders_data_warns_and_freezes_the_branch():
    w = Value(1.0)

    def f(x):
        return w * x if x.data > 0 else -w * x  # data-dependent Python control flow

    step = micrograd.compile(f, backend="python")
    with pytest.warns(TracingWarning, match="read the number of x"):
        assert step([2.0, 3.0]) == 2.5
    with pytest.warns(TracingWarning), pytest.raises(TracingError, match="different graph for two samples"):
        micrograd.compile(f)([2.0, -3.0])


def test_float_of_a_placeholder_warns_and_a_constant_from_the_data_is_an_error():
    def f(x):
        return Value(float(x)) * 2

    step = micrograd.compile(f, backend="python")
    with pytest.warns(TracingWarning), pytest.raises(TracingError, match="computed from the data"):
        step([1.0, 2.0])


def test_the_truth_of_a_placeholder_warns_like_reading_its_number():
    def f(x):
        return x * 2 if x else x * 3  # bool(x) follows x.data, so this branch is data-dependent

    with pytest.warns(TracingWarning, match="read the number of x"):
        assert micrograd.compile(f, backend="python")([1.0, 2.0]) == 3.0

def test_engine_reads_do_not_warn():
    model, loss_fn, X, y = moons_problem()
    with warnings.catch_warnings():
        warnings.simplefilter("error", TracingWarning)
        micrograd.compile(loss_fn)(X, y)


def test_parameters_chosen_by_the_data_are_detected():
    ws = [Value(1.0), Value(2.0)]
    with pytest.warns(TracingWarning), pytest.raises(TracingError):
        micrograd.compile(lambda i: ws[int(i.data)] * i)([0.0, 1.0])


# --- clear errors ------------------------------------------------------------------------


@pytest.mark.parametrize("backend", EACH_BACKEND)
@pytest.mark.parametrize(
    ("batches", "error", "message"),
    [
        (([[1.0, 2.0], [3.0]],), ValueError, "same number of values"),
        (([1.0, 2.0], [1.0]), ValueError, "different numbers of samples"),
        (([],), ValueError, "empty batch"),
        ((["a", "b"],), TypeError, "numbers"),
        (([Value(1.0)],), TypeError, "numbers|Value"),
        ((3.0,), ValueError, "batch"),
    ],
)
def test_bad_batches_are_named(backend, batches, error, message):
    step = micrograd.compile(lambda x, *rest: (x[0] if isinstance(x, list) else x) * 2.0, backend=backend)
    with pytest.raises(error, match=message):
        step(*batches)


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="function of Values"):
        micrograd.compile(3)
    with pytest.raises(ValueError, match="unknown backend 'jax'"):
        micrograd.compile(lambda x: x, backend="jax")
    step = micrograd.compile(lambda x: x * 2)
    with pytest.raises(ValueError, match="reduction must be one of"):
        step([1.0], reduction="avg")
    with pytest.raises(TypeError, match="needs its arguments as batches"):
        step()
    with pytest.raises(RuntimeError, match="not been traced yet"):
        _ = micrograd.compile(lambda x: x).source
    with pytest.raises(TypeError, match="must return a Value"):
        micrograd.compile(lambda x: 3.0)([1.0])


def test_decorator_forms():
    w = Value(2.0)

    @micrograd.compile
    def f(x):
        return w * x

    @micrograd.compile(backend="python")
    def g(x):
        return w * x

    assert isinstance(f, Compiled) and g.backend == "python"
    assert f([1.0, 3.0]) == g([1.0, 3.0]) == 4.0


def test_pure_python_mode_works_without_numpy():
    """With NumPy unimportable, 'auto' falls back to the pure-Python program."""
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import micrograd\n"
        "from micrograd import Value\n"
        "w = Value(3.0)\n"
        "step = micrograd.compile(lambda x: (w * x).relu())\n"
        "assert step.backend == 'python', step.backend\n"
        "assert step([1.0, -2.0, 4.0], reduction='sum') == 15.0 and w.grad == 5.0\n"
        "try:\n"
        "    micrograd.compile(lambda x: x, backend='numpy')\n"
        "except ImportError as e:\n"
        "    assert 'pip install' in str(e)\n"
        "else:\n"
        "    raise AssertionError('no ImportError')\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("backend", EACH_BACKEND)
def test_has_aux_returns_every_samples_outputs_with_the_loss(backend):
    random.seed(5)
    model = MLP(2, [4, 2])
    X = [[0.5, -1.0], [2.0, 0.25], [-1.0, -1.5]]
    Y = [0.3, -0.2, 1.0]

    def loss_fn(x, y):
        out = model(x)
        return (out[0] - y) ** 2 + out[1].relu(), out

    step = micrograd.compile(loss_fn, backend=backend, has_aux=True)
    loss, outputs = step(X, Y)
    grads = [p.grad for p in model.parameters()]
    eager_loss, eager_grads = eager(lambda x, y: loss_fn(x, y)[0], [X, Y], model.parameters())
    assert_same(loss, grads, eager_loss, eager_grads)
    expected = [[v.data for v in model(x)] for x in X]
    assert len(outputs) == 3 and all(len(o) == 2 for o in outputs)
    assert all(agree(a, b, 1e-12) for o, e in zip(outputs, expected) for a, b in zip(o, e))
    first_output = micrograd.compile(lambda x, y: (loss_fn(x, y)[0], model(x)[0]), backend=backend, has_aux=True)
    losses, firsts = first_output(X, Y, reduction="none")  # every sample's loss, and a number per sample
    each = [loss_fn(x, y)[0].data for x, y in zip(X, Y)]
    assert all(agree(a, b, 1e-12) for a, b in zip(losses, each))
    assert all(agree(a, b[0], 1e-12) for a, b in zip(firsts, expected))
    with no_grad():
        assert agree(step(X, Y)[0], loss, 1e-12)


# --- the training step of micrograd.train -------------------------------------------------


@pytest.mark.parametrize(
    ("loss", "nouts", "targets", "reduction", "l2"),
    [
        ("hinge", 1, lambda rng: rng.choice((-1, 1)), "mean", 1e-4),
        ("mse", 2, lambda rng: [rng.uniform(-1, 1), rng.uniform(-1, 1)], "mean", 0.0),
        ("bce", 1, lambda rng: rng.choice((0, 1)), "mean", 1e-3),
        ("cross_entropy", 3, lambda rng: rng.randrange(3), "mean", 1e-3),
        (lambda outs, ts: mse_loss(outs, ts, reduction="sum"), 1, lambda rng: rng.uniform(-1, 1), "sum", 1e-2),
    ],
)
def test_compiled_training_step_equals_the_eager_step(loss, nouts, targets, reduction, l2):
    from micrograd.train import make_compiled_step, make_step

    rng = random.Random(11)
    X = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(12)]
    y = [targets(rng) for _ in X]
    results = []
    for make in (make_step, make_compiled_step):
        model = MLP(2, [5, nouts], rng=random.Random(4))
        step = make(model, loss, l2) if make is make_step else make(model, loss, l2, reduction=reduction)
        value, outputs = step(X, y)
        results.append((value, [p.grad for p in model.parameters()], outputs))
    (eager_value, eager_grads, eager_outs), (value, grads, outs) = results
    assert_same(value, grads, eager_value, eager_grads)
    flat = [v for o in outs for v in (o if isinstance(o, list) else [o])]
    eager_flat = [v for o in eager_outs for v in (o if isinstance(o, list) else [o])]
    assert all(agree(a, b, 1e-12) for a, b in zip(flat, eager_flat))


def test_compiled_training_step_checks_targets_like_the_loss():
    from micrograd.train import make_compiled_step

    step = make_compiled_step(MLP(2, [3, 1], rng=random.Random(0)), "hinge")
    with pytest.raises(ValueError, match="hinge_loss needs labels -1 or \\+1"):
        step([[0.0, 1.0], [1.0, 0.0]], [1, 0])
    step = make_compiled_step(MLP(2, [3, 3], rng=random.Random(0)), "cross_entropy")
    with pytest.raises(ValueError, match="class index"):
        step([[0.0, 1.0]], [3])


def test_demo_trains_the_same_compiled_and_eager():
    from micrograd.apps.demos import run_demo

    compiled = run_demo("moons", epochs=3, verbose=False)
    eager = run_demo("moons", epochs=3, verbose=False, compiled=False)
    assert all(agree(a, b, 1e-9) for a, b in zip(compiled.history.loss, eager.history.loss))
    assert compiled.history.accuracy == eager.history.accuracy
    assert all(agree(a.data, b.data, 1e-9) for a, b in zip(compiled.model.parameters(), eager.model.parameters()))


@needs_matplotlib
def test_demo_command_line_has_an_eager_switch(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "micrograd", "demo", "toy", "--epochs", "5", "--eager", "--quiet", "--out",
         str(tmp_path)],
        capture_output=True, text=True, check=True,
    )
    assert done.stdout.startswith("toy: loss")


# --- every way the NumPy program groups nodes -----------------------------------------------

_rng = random.Random(2)
_ws = [[Value(_rng.uniform(-1, 1)) for _ in range(3)] for _ in range(4)]
_bs = [Value(_rng.uniform(-1, 1)) for _ in range(4)]
_q, _r = Value(0.7), Value(-0.4)


def _layer(x):
    return [dot(w, x, b) for w, b in zip(_ws, _bs)]


def _total(values):
    return sum(values, Value(0.0))


GROUPED = {
    "map with a per-sample scalar": lambda x, y: _total(h * y for h in _layer(x)),
    "map with a shared scalar": lambda x, y: _total((h * _q).tanh() for h in _layer(x)) * y,
    "map with a constant per row": lambda x, y: _total(h * c for h, c in zip(_layer(x), [1.0, 2.0, -1.0, 0.5])) - y,
    "map with the biases": lambda x, y: _total(h * b for h, b in zip(_layer(x), _bs)) + y,
    "sum of shared terms from a per-sample start": lambda x, y: sum((b.sigmoid() for b in _bs + [_q, _r]), y * _q),
    "chain of subtractions": lambda x, y: (y - _q - _r - _bs[0] - _bs[1] - _bs[2]) * x[0],
    "layer fed by a gathered part of a layer": lambda x, y: _total(
        h.relu() for h in (dot(w, _layer(x), _q) for w in ([_q, _r, _q, _r], [_r, _r, _q, _q]))
    ),
    "constant powers": lambda x, y: _total(h**2 for h in _layer(x)) + _total(b.abs() ** 0.5 for b in _bs),
    "kinks": lambda x, y: _total((h - y).relu() * (h + y).relu() for h in _layer(x)),
    "a layer of shared numbers": lambda x, y: sum(dot(w, [_q, _r, _q], b) for w, b in zip(_ws, _bs)) * y,
    "division": lambda x, y: _total(y / h for h in _layer(x)),
    "rows also used on their own": lambda x, y: (lambda hs: hs[0] * hs[3] + _total(h.tanh() for h in hs))(_layer(x)),
}


@pytest.mark.parametrize("backend", EACH_BACKEND)
@pytest.mark.parametrize("name", sorted(GROUPED))
def test_grouped_nodes_give_eager_numbers(name, backend):
    rng = random.Random(name)
    X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(6)]
    Y = [rng.uniform(-1, 1) for _ in range(6)]
    compare(GROUPED[name], [X, Y], backend)


def test_grouping_can_be_turned_off_and_gives_the_same_numbers():
    np = pytest.importorskip("numpy")
    from micrograd.compiler.numpy_program import numpy_source
    from micrograd.compiler.trace import _load

    model, loss_fn, X, y = moons_problem()
    step = micrograd.compile(loss_fn, backend="numpy")
    step(X[:4], y[:4])
    grouped, layout = numpy_source(step.graph)
    plain, identity = numpy_source(step.graph, vectorise=False)
    assert "@" in grouped and "@" not in plain and identity == list(range(337))
    assert plain.count("\n") > 5 * grouped.count("\n")  # one line per node instead of per layer
    in_graph_order = [None] * 337
    for n, k in enumerate(layout):  # step.parameters are in the grouped program's order
        in_graph_order[k] = step.parameters[n].data
    assert layout != identity
    seed = np.full(len(X), 1 / len(X))
    args = (np.array(X).T, np.array(y), seed)
    out_a, g_a = _load(grouped, "numpy", "<grouped>")(np.array([p.data for p in step.parameters]), *args)
    out_b, g_b = _load(plain, "numpy", "<plain>")(np.array(in_graph_order), *args)
    assert np.allclose(out_a, out_b, rtol=1e-12, atol=0)
    assert np.allclose(g_a, g_b[layout], rtol=1e-12, atol=1e-15)
