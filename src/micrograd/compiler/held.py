"""A compiled step's parameters in one array, which the Values read and write while it trains them.

A compiled NumPy step computes with its parameters as one vector θ and returns ∂loss/∂θ
as one vector. Copying tens of thousands of numbers out of their Values into θ and the
gradients back into each ``.grad``, at every call, costs more than the step's own array
code (at 2-256-256-1 each copy is a loop over 66,817 Values, about 3 ms, against a kernel
of 1.5 ms), and so does an optimizer looping over them. So the step *holds* its
parameters: θ and ∂loss/∂θ live in two arrays of a :class:`ParameterArray`, and each
Value's class becomes a subclass of its own class (same name, same slots) whose ``data``
and ``grad`` read and write the Value's entry of those arrays. Then

* ``p.data`` and ``p.grad`` are the truth at every moment, whoever changed them: the
  compiled step, an optimizer stepping the whole array (:mod:`micrograd.optim` does when
  it holds exactly these parameters), or user code;
* a number written to ``p.data`` or ``p.grad`` goes into the array, where the next step
  reads it;
* nothing is copied per step: reading a held Value costs one array lookup, and only
  when some code reads it.

The slots are brought up to date in bulk, and the Values get their own class back, when
the hold ends (:meth:`ParameterArray.release`): when another compiled step holds one of
these Values, when something other than a number is assigned to ``data`` or ``grad``
(``backward(create_graph=True)`` makes a grad a Value), or when a held Value is copied
or pickled. The next call of the step holds them again, reading the slots in.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from micrograd.engine import Value

__all__ = ["ParameterArray", "holder"]

_DATA: Any = Value.__dict__["data"]  # the slots themselves, beneath the held classes' properties
_GRAD: Any = Value.__dict__["grad"]


def holder(p: Any) -> ParameterArray | None:
    """The ParameterArray holding ``p`` now, or None (``p`` is a plain Value, or not a Value)."""
    return getattr(type(p), "_parameter_array", None)


class ParameterArray:
    """The values (``theta``) and gradients (``gtheta``) of ``params``, in that order, as two arrays.

    ``hold()`` moves the numbers into the arrays, ``release()`` back into the Values.
    ``index[id(p)]`` is p's position; ``packed`` is the whole vector as one parameter
    (``.data`` is theta, ``.grad`` is gtheta) for an optimizer's array rule.
    """

    def __init__(self, params: list[Value]) -> None:
        self.params = params
        self.index = {id(p): k for k, p in enumerate(params)}
        self.holding = False
        self.theta: Any = np.zeros(len(params))
        self.gtheta: Any = np.zeros(len(params))
        self.packed = _Packed(self)
        self._bases: list[type] = []
        self._classes: dict[type, type] = {}

    def __repr__(self) -> str:
        state = "holding" if self.holding else "released"
        return f"<ParameterArray of {len(self.params)} Values, {state}>"

    @property
    def math(self) -> Any:
        """The array backend the optimizers' rules run on for the packed vector."""
        from micrograd.tensor.arraymath import ARRAY  # loaded at the first array step, not at compile time

        return ARRAY

    def hold(self) -> bool:
        """Read the Values' numbers into the arrays and hold them; False (and nothing held) if a
        gradient is not a number (a Value made by ``backward(create_graph=True)``)."""
        if self.holding:
            return True
        for p in self.params:
            other = holder(p)
            if other is not None:
                other.release()
        grads = [_GRAD.__get__(p) for p in self.params]
        if any(type(g) is not float and type(g) is not int for g in grads):
            return False
        self.theta = np.array([_DATA.__get__(p) for p in self.params], dtype=np.float64)
        self.gtheta = np.array(grads, dtype=np.float64)
        self._bases = [type(p) for p in self.params]
        for p, base in zip(self.params, self._bases):
            p.__class__ = self._held_class(base)
        self.holding = True
        return True

    def release(self) -> None:
        """Write every held Value's number and gradient into its slots and give it its own class back."""
        if not self.holding:
            return
        self.holding = False
        for p, base, x, g in zip(self.params, self._bases, self.theta.tolist(), self.gtheta.tolist()):
            p.__class__ = base
            p.data = x
            p.grad = g

    def _held_class(self, base: type) -> type:
        """``base`` with ``data`` and ``grad`` kept in this array (one class per base class)."""
        held = self._classes.get(base)
        if held is None:
            namespace = {
                "__slots__": (),
                "__module__": base.__module__,
                "__qualname__": base.__qualname__,
                "__doc__": base.__doc__,
                "_parameter_array": self,
                "data": _entry("theta", "data"),
                "grad": _entry("gtheta", "grad"),
                "__reduce_ex__": _reduce_ex,
            }
            held = self._classes[base] = type(base.__name__, (base,), namespace)
        return held


def _entry(vector: str, attribute: str) -> property:
    """A held Value's ``data`` or ``grad``: its entry of the array ``theta`` or ``gtheta``.

    A number goes into the array; anything else (a Value made by ``create_graph=True``)
    ends the hold and goes into the slot, as it would for any Value.
    """

    def read(p: Any) -> float:
        array = type(p)._parameter_array
        return getattr(array, vector).item(array.index[id(p)])

    def write(p: Any, value: Any) -> None:
        array = type(p)._parameter_array
        if isinstance(value, float) or type(value) is int:
            getattr(array, vector)[array.index[id(p)]] = value
        else:
            array.release()
            setattr(p, attribute, value)

    return property(read, write, doc=f"The Value's {attribute}, kept in the compiled step's array ``{vector}``.")


def _reduce_ex(p: Any, protocol: Any) -> Any:
    """A copy or pickle of a held Value is of a plain one: the hold ends first."""
    type(p)._parameter_array.release()
    return p.__reduce_ex__(protocol)


class _Packed:
    """All of a ParameterArray's parameters as one parameter whose ``.data`` and ``.grad`` are its arrays."""

    __slots__ = ("array",)

    def __init__(self, array: ParameterArray) -> None:
        self.array = array

    @property
    def data(self) -> Any:
        return self.array.theta

    @data.setter
    def data(self, value: Any) -> None:
        self.array.theta = np.asarray(value, dtype=np.float64)

    @property
    def grad(self) -> Any:
        return self.array.gtheta
