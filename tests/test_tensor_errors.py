"""Mistaken input to micrograd.tensor: each case is a row of the tensor section of docs/errors.md,
and each must raise the documented error with a one-line message naming the problem."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

np = pytest.importorskip("numpy", reason='micrograd.tensor needs NumPy: pip install "micrograd[numpy]"')

from micrograd import (  # noqa: E402
    Value,
    gradcheck,
    no_grad,  # noqa: E402
)
from micrograd.tensor import Tensor, cat, cross_entropy, from_values, grad, one_hot, stack, to_values, unroll, where  # noqa: E402,E501

ERRORS_MD = Path(__file__).resolve().parents[1] / "docs" / "errors.md"


def _x(*shape, grad=True):
    return Tensor(np.ones(shape), requires_grad=grad)


def _changed_after_use():
    w = _x(2)
    y = w * w
    with no_grad():
        w[0] = 5.0
    y.sum().backward()


def _x32(n):
    return Tensor(np.ones(n, dtype=np.float32), requires_grad=True)


def _grad_unused():
    x, z = _x(2), _x(2)
    grad((x * 2).sum(), [x, z])


def _set(target, name, value):
    setattr(target, name, value)


def _iadd(t, other):
    t += other


def _setitem(t, key, value):
    t[key] = value


# (what you do, the call, the error type, a regular expression its message must match)
CATALOGUE = [
    ("Tensor of a string", lambda: Tensor("a"), TypeError, r"Tensor data must be numbers, got str: 'a'"),
    ("Tensor of None", lambda: Tensor(None), TypeError, r"Tensor data must be numbers, got NoneType: None"),
    ("Tensor of a ragged list", lambda: Tensor([[1.0, 2.0], [3.0]]), TypeError,
     r"Tensor data must be numbers in a regular \(not ragged\) shape, got \[\[1.0, 2.0\], \[3.0\]\]"),
    ("float16 data", lambda: Tensor(np.ones(2, dtype=np.float16)), TypeError,
     r"unsupported dtype float16: convert to float32 or float64 first"),
    ("an unknown dtype", lambda: Tensor([1.0], dtype="complex64"), TypeError,
     r"unsupported dtype 'complex64': tensors are float64, float32, int64 or bool"),
    ("requires_grad on an integer tensor", lambda: Tensor([1, 2], requires_grad=True), TypeError,
     r"only floating-point tensors can require gradients, got int64"),
    ("requires_grad not a bool", lambda: Tensor([1.0], requires_grad="yes"), TypeError,
     r"requires_grad must be True or False, got str"),
    ("requires_grad on a result", lambda: _set(_x(2) * 2, "requires_grad", False), ValueError,
     r"requires_grad can only be changed on a leaf tensor"),
    ("adding shapes that do not broadcast", lambda: _x(2, 3) + _x(4), ValueError,
     r"\+: shapes \(2, 3\) and \(4,\) cannot be broadcast together"),
    ("multiplying shapes that do not broadcast", lambda: _x(3) * _x(2, 2), ValueError,
     r"\*: shapes \(3,\) and \(2, 2\) cannot be broadcast together"),
    ("@ with mismatched inner dims", lambda: _x(3, 4) @ _x(5, 2), ValueError,
     r"@: shapes \(3, 4\) and \(5, 2\) do not match: the last dim of the first \(4\) must equal the "
     r"second-to-last of the second \(5\)"),
    ("@ with a 0-d tensor", lambda: _x() @ _x(2), ValueError, r"@: both operands need at least one dim"),
    ("@ with batch dims that do not broadcast", lambda: _x(2, 3, 4) @ _x(3, 4, 5), ValueError,
     r"@ \(batch dims\): shapes \(2,\) and \(3,\) cannot be broadcast together"),
    ("exp of an integer tensor", lambda: Tensor([1, 2]).exp(), TypeError,
     r"exp needs a floating-point tensor, got int64: convert it first with .double\(\) or .float\(\)"),
    ("mean of an integer tensor", lambda: Tensor([1, 2]).mean(), TypeError,
     r"mean needs a floating-point tensor, got int64"),
    ("softmax of an integer tensor", lambda: Tensor([[1, 2]]).softmax(1), TypeError,
     r"softmax needs a floating-point tensor, got int64"),
    ("cross_entropy with float targets", lambda: cross_entropy(_x(2, 3), np.array([0.0, 1.0])), TypeError,
     r"cross_entropy targets must be integer class indices, got float64"),
    ("cross_entropy with a target out of range", lambda: cross_entropy(_x(2, 3), [0, 3]), IndexError,
     r"cross_entropy: target 3 \(row 1\) is not a class in 0..2"),
    ("cross_entropy with too few targets", lambda: cross_entropy(_x(2, 3), [0]), ValueError,
     r"cross_entropy: logits of shape \(2, 3\) need targets of shape \(2,\), got \(1,\)"),
    ("cross_entropy of 1-D logits", lambda: cross_entropy(_x(3), [0]), ValueError,
     r"cross_entropy needs logits of shape \(N, C\), got \(3,\)"),
    ("cross_entropy of a list", lambda: cross_entropy([[1.0]], [0]), TypeError,
     r"cross_entropy takes a Tensor, got list"),
    ("an index out of range", lambda: _x(3, 4)[5], IndexError,
     r"index into a tensor of shape \(3, 4\): index 5 is out of bounds for axis 0 with size 3"),
    ("an index array out of range", lambda: _x(3)[np.array([0, 7])], IndexError,
     r"index into a tensor of shape \(3,\): index 7 is out of bounds"),
    ("a float tensor as an index", lambda: _x(3)[Tensor([0.0, 1.0])], TypeError,
     r"tensors used as indices must be integer or bool, got float64"),
    ("a string as an index", lambda: _x(3)["a"], TypeError, r"a tensor index is an int, a slice, None"),
    ("sum over a dim that does not exist", lambda: _x(3, 4).sum(2), IndexError,
     r"sum: dim 2 is out of range for a tensor with 2 dims"),
    ("dim and axis together", lambda: _x(3, 4).sum(dim=0, axis=1), TypeError, r"give dim or axis, not both"),
    ("unbiased and correction together", lambda: _x(3).var(unbiased=True, correction=0), TypeError,
     r"give unbiased or correction, not both"),
    ("backward of a non-scalar without a gradient", lambda: (_x(2, 3) * 2).backward(), ValueError,
     r"backward\(\) without a gradient needs a one-element tensor, got shape \(2, 3\): pass gradient="),
    ("backward of a tensor that does not require grad", lambda: Tensor([1.0]).backward(), ValueError,
     r"backward\(\) of a tensor that does not require grad \(shape \(1,\)\)"),
    ("backward with a gradient of the wrong shape", lambda: (_x(2) * 2).backward(np.ones(3)), ValueError,
     r"backward\(\) gradient has shape \(3,\), the tensor has shape \(2,\)"),
    ("a grad of the wrong shape", lambda: _set(_x(2), "grad", np.zeros(3)), ValueError,
     r"grad must have the tensor's shape \(2,\), got \(3,\)"),
    ("+= on a tensor that requires grad", lambda: _iadd(_x(2), 1.0), ValueError,
     r"in-place \+= on a tensor that requires grad would change the graph in place"),
    ("t[i] = v on a tensor that requires grad", lambda: _setitem(_x(2), 0, 1.0), ValueError,
     r"t\[\.\.\.\] = v on a tensor that requires grad"),
    ("backward after an input changed in place", _changed_after_use, ValueError,
     r"a tensor of shape \(2,\) that '\*' needs for its gradient was changed in place after it was used"),
    ("+= of floats into an integer tensor", lambda: _iadd(Tensor([1, 2]), 0.5), TypeError,
     r"in-place \+=: an int64 tensor cannot hold the float64 result; write t = t \+ x"),
    ("reshape to the wrong size", lambda: _x(2, 3).reshape(4, 2), ValueError,
     r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, 2\)"),
    ("permute naming a dim twice", lambda: _x(2, 3).permute(0, 0), ValueError,
     r"permute: dim \(0, 0\) names a dim twice"),
    ("cat of shapes that differ", lambda: cat([_x(2, 3), _x(2, 4)]), ValueError,
     r"cat along dim 0: shapes \(2, 3\), \(2, 4\) differ outside that dim"),
    ("stack of shapes that differ", lambda: stack([_x(2), _x(3)]), ValueError,
     r"stack needs tensors of one shape, got \(2,\), \(3,\)"),
    ("cat of an empty list", lambda: cat([]), TypeError, r"cat takes a non-empty list of tensors, got list"),
    ("cat of arrays", lambda: cat([_x(2), np.ones(2)]), TypeError, r"cat: item 1 must be a Tensor, got ndarray"),
    ("item of several elements", lambda: _x(3).item(), ValueError,
     r"item\(\) needs a tensor with one element, got shape"),
    ("if on several elements", lambda: bool(_x(3) > 0), ValueError,
     r"the truth value of a tensor of shape \(3,\) is ambiguous"),
    ("one_hot of floats", lambda: one_hot(np.array([0.0])), TypeError,
     r"one_hot needs integer class indices, got float64"),
    ("one_hot out of range", lambda: one_hot(Tensor([0, 5]), 3), IndexError, r"one_hot: class 5 is not in 0..2"),
    ("where with a float condition", lambda: where(_x(2), 1.0, 0.0), TypeError,
     r"where: the condition must be a bool tensor, got float64"),
    ("Tensor + str", lambda: _x(2) + "a", TypeError, r"unsupported operand type\(s\) for \+: 'Tensor' and 'str'"),
    ("Tensor - list", lambda: _x(2) - [1.0, 2.0], TypeError,
     r"unsupported operand type\(s\) for -: 'Tensor' and 'list'"),
    ("backward with create_graph not a bool", lambda: (_x(2) * 2).sum().backward(create_graph=1), TypeError,
     r"create_graph must be True or False, got int"),
    ("grad of a number", lambda: grad(1.0, _x(2)), TypeError,
     r"grad\(\) outputs must be a Tensor or a non-empty list of Tensors, got float"),
    ("grad with respect to an array", lambda: grad(_x(2).sum(), [np.ones(2)]), TypeError,
     r"grad\(\) inputs\[0\] must be a Tensor, got ndarray"),
    ("grad with respect to a tensor that does not require grad", lambda: grad(_x(2).sum(), _x(2, grad=False)),
     ValueError, r"grad\(\): inputs\[0\] \(shape \(2,\)\) does not require grad, so nothing can be differentiated"),
    ("grad of a tensor that does not require grad", lambda: grad(_x(2, grad=False).sum(), _x(2)), ValueError,
     r"grad\(\): outputs\[0\] \(shape \(\)\) does not require grad"),
    ("grad with respect to an unused input", lambda: _grad_unused(), ValueError,
     r"grad\(\): inputs\[1\] \(shape \(2,\)\) was not used to compute the outputs: pass allow_unused=True"),
    ("grad of a non-scalar without grad_outputs", lambda: grad(_x(2) * 2, _x(2)), ValueError,
     r"grad\(\) outputs\[0\] without a gradient needs a one-element tensor, got shape \(2,\)"),
    ("grad with fewer grad_outputs than outputs", lambda: grad([_x(1) * 2, _x(1) * 3], _x(1), [np.ones(1)]),
     ValueError, r"grad\(\): 1 grad_outputs for 2 outputs"),
    ("grad with grad_outputs of the wrong shape", lambda: grad(_x(2) * 2, _x(2), np.ones(3)), ValueError,
     r"grad\(\) outputs\[0\] gradient has shape \(3,\), the tensor has shape \(2,\)"),
    ("grad with allow_unused not a bool", lambda: grad(_x(1).sum(), _x(1), allow_unused="no"), TypeError,
     r"allow_unused must be True or False, got str"),
    ("gradcheck of float32 tensors", lambda: gradcheck(lambda x: x * 2, [_x32(2)]),
     TypeError, r"gradcheck: inputs\[0\] is float32: central differences need float64"),
    ("gradcheck mixing Tensors and Values", lambda: gradcheck(lambda x, v: x * v.data, [_x(2), Value(1.0)]),
     TypeError, r"gradcheck: inputs mix Tensors with other things: inputs\[1\] is Value"),
    ("gradcheck of tensors that do not require grad", lambda: gradcheck(lambda x: x * 2, [_x(2, grad=False)]),
     ValueError, r"gradcheck: no input requires grad, so there is nothing to check"),
    ("gradcheck of a function returning an array", lambda: gradcheck(lambda x: x.data, [_x(2)]), TypeError,
     r"gradcheck: f must return a Tensor or a list of Tensors, got ndarray"),
    ("to_values of a large expression", lambda: to_values((_x(200, 200) @ _x(200, 200)).sum()), ValueError,
     r"to_values would make about 8040000 Values \(more than max_values=100000\): unroll a smaller expression"),
    ("to_values of an integer tensor", lambda: to_values(Tensor([1, 2])), TypeError,
     r"to_values needs a floating-point tensor, got int64"),
    ("unroll naming a tensor outside the graph", lambda: unroll(_x(2) * 2, {"W": _x(2)}), ValueError,
     r"to_values: input 'W' is not part of the output's graph"),
    ("from_values of numbers", lambda: from_values([1.0, 2.0]), TypeError,
     r"from_values takes a non-empty list \(or nested lists of one shape\) of Values"),
]  # fmt: skip


@pytest.mark.parametrize(("call", "error", "message"), [c[1:] for c in CATALOGUE], ids=[c[0] for c in CATALOGUE])
def test_catalogue(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    text = str(info.value)
    assert "\n" not in text and len(text) < 400, text


def test_every_case_is_a_row_of_the_catalogue_page():
    page = ERRORS_MD.read_text()
    section = page.split("### tensor", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| `(\w+)` \|", section, flags=re.M)
    documented = {what: error for what, error in rows}
    assert documented == {what: error.__name__ for what, _, error, _ in CATALOGUE}
