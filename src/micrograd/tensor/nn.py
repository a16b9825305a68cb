"""Layers on tensors, with PyTorch's shapes and semantics: ``Module``, ``Linear``, ``Embedding``,
``BatchNorm1d``, ``Tanh``, ``ReLU``, ``Flatten``, ``Sequential``.

A learner's weights and state dicts move to and from PyTorch unchanged: ``Linear.weight``
is (out, in) and ``y = x @ W.T + b``; names are PyTorch's (``0.weight``, ``1.running_var``).

The makemore MLP of the lectures, built from these layers::

    g = Generator(2147483647)
    model = Sequential(
        Embedding(27, 10, generator=g), Flatten(),          # (B, 3) indices -> (B, 30)
        Linear(30, 200, generator=g), Tanh(),
        Linear(200, 27, generator=g),
    )
    loss = cross_entropy(model(Xb), Yb)

Where the lectures write their own layers, the difference is one line:

* their ``Linear`` keeps ``W`` as (in, out) and computes ``x @ W``; here (as in PyTorch)
  ``weight`` is (out, in) and ``x @ weight.T``: ``layer.weight.T`` is the lecture's ``W``;
* their ``BatchNorm1d`` of 3-D input normalises over dims (0, 1) of (N, L, C) and divides by
  the unbiased variance; here (as in PyTorch) 3-D input is (N, C, L), normalised over
  (0, 2) with the biased variance (the running variance is the unbiased one in both):
  ``x.transpose(1, 2)`` before and after gives the lecture's layout.

Initialisation: PyTorch's defaults (``init='pytorch'``: kaiming-uniform weights,
U(±1/√in) for ``Linear``; N(0, 1) for ``Embedding``), drawn from a seeded
:class:`~micrograd.tensor.generator.Generator` (``generator=``, else the default one, see
``manual_seed``), or the lectures' forms (``init='lecture'``: N(0, 1)·gain/√in weights
and zero bias, part 3's ``Linear``; ``init='normal'``: N(0, 1) weights and biases, part 2).
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import numpy as np

from micrograd import nn as scalar_nn
from micrograd.engine import no_grad
from micrograd.tensor import files
from micrograd.tensor.dtypes import as_dtype
from micrograd.tensor.fused import Affine
from micrograd.tensor.generator import Generator, default_generator, manual_seed
from micrograd.tensor.tensor import Tensor, _apply

__all__ = [
    "Parameter",
    "Module",
    "Linear",
    "Embedding",
    "BatchNorm1d",
    "Tanh",
    "ReLU",
    "Flatten",
    "Sequential",
    "LINEAR_INITS",
    "Generator",
    "manual_seed",
]

LINEAR_INITS = ("pytorch", "lecture", "normal")
"""``Linear`` initialisations: PyTorch's default; the lectures' N(0,1)·gain/√in with zero bias; N(0,1) both."""


class Parameter(Tensor):
    """A tensor that a Module trains (``requires_grad`` by default); results of arithmetic are plain Tensors."""

    __slots__ = ()

    def __init__(self, data: Any, requires_grad: bool = True) -> None:
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


def _check_size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def _check_generator(generator: Any) -> Generator:
    if generator is None:
        return default_generator
    if not isinstance(generator, Generator):
        raise TypeError(
            f"generator must be a micrograd.tensor Generator (or None for the default one), "
            f"got {type(generator).__name__}"
        )
    return generator


def _float_dtype(dtype: Any) -> np.dtype:
    chosen = as_dtype(dtype)
    if chosen.kind != "f":
        raise TypeError(f"a layer's dtype must be float64 or float32, got {chosen}")
    return chosen


def _tensor_input(layer: Module, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{layer!r} takes a Tensor, got {type(x).__name__}")
    return x


def _check_input(layer: Module, x: Any, ndims: tuple[int, ...], features: int, dim: int) -> Tensor:
    """``x`` as a float tensor with one of ``ndims`` dims and ``features`` entries along ``dim``."""
    _tensor_input(layer, x)
    if x.dtype.kind != "f":
        raise TypeError(f"{layer!r} needs a floating-point input, got {x.dtype}: convert it first with .double()")
    if x.ndim not in ndims or x.shape[dim] != features:
        wanted = " or ".join(", ".join(f"{n}-D" for n in ndims).rsplit(", ", 1))
        raise ValueError(
            f"{layer!r} expects {wanted} input with {features} features along dim {dim}, got shape {x.shape}"
        )
    return x


class Module:
    """A layer or model: finds its parameters, buffers and submodules among its attributes.

    ``named_parameters()`` lists this module's own Parameters (in the order they were set),
    then each submodule's under its attribute name, as PyTorch names them. Buffers
    (``register_buffer``: BatchNorm's running statistics) are state that is saved and
    loaded but not trained. Subclasses call ``super().__init__()`` and define ``forward``.
    """

    def __init__(self) -> None:
        self.training = True
        self._buffer_names: list[str] = []

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- what it holds ---------------------------------------------------------------------

    def register_buffer(self, name: str, tensor: Tensor) -> None:
        """Keep ``tensor`` as ``self.<name>``: saved in ``state_dict()``, never trained."""
        if not isinstance(tensor, Tensor):
            raise TypeError(f"buffer {name!r} must be a Tensor, got {type(tensor).__name__}")
        if name not in self._buffer_names:
            self._buffer_names.append(name)
        setattr(self, name, tensor)

    def _own(self) -> Iterator[tuple[str, Any]]:
        """The attributes, with the Modules and Parameters in lists, tuples and dicts named ``layers.0``
        (PyTorch's ``ModuleList`` names), so that ``self.layers = [Linear(...), ...]`` is found too."""
        if "_buffer_names" not in self.__dict__:
            raise TypeError(f"{type(self).__name__}.__init__ must call super().__init__() before using the module")
        stack = list(reversed(self.__dict__.items()))
        while stack:
            name, value = stack.pop()
            if isinstance(value, (list, tuple)):
                stack.extend(reversed([(f"{name}.{i}", item) for i, item in enumerate(value)]))
            elif isinstance(value, dict):
                stack.extend(reversed([(f"{name}.{key}", item) for key, item in value.items()]))
            else:
                yield name, value

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, Module) for each direct submodule, in the order they were set."""
        for name, value in self._own():
            if isinstance(value, Module):
                yield name, value

    def children(self) -> Iterator[Module]:
        for _, child in self.named_children():
            yield child

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """(name, Module) for this module (``''``) and every module inside it, depth first, each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            stack.extend(reversed([(f"{name}.{n}" if name else n, c) for n, c in module.named_children()]))

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_parameters(self) -> Iterator[tuple[str, Parameter]]:
        """(name, Parameter) for every parameter, e.g. ``('0.weight', ...)``; a shared one once."""
        seen: set[int] = set()
        for prefix, module in self.named_modules():
            for name, value in module._own():
                if isinstance(value, Parameter) and id(value) not in seen:
                    seen.add(id(value))
                    yield (f"{prefix}.{name}" if prefix else name), value

    def parameters(self) -> list[Parameter]:
        """Every trainable tensor, in a fixed order (what an optimizer takes)."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> Iterator[tuple[str, Tensor]]:
        """(name, Tensor) for every buffer, e.g. ``('1.running_mean', ...)``."""
        for prefix, module in self.named_modules():
            for name in module._buffer_names:
                yield (f"{prefix}.{name}" if prefix else name), getattr(module, name)

    def buffers(self) -> list[Tensor]:
        return [b for _, b in self.named_buffers()]

    # --- modes and gradients -------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every module inside it (the scalar Module's rule); returns it."""
        scalar_nn.Module.train(self, mode)  # type: ignore[arg-type]  # it only walks self.modules()
        return self

    def eval(self) -> Module:
        """``train(False)``: BatchNorm1d uses its running statistics."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: None (PyTorch's default), or zeros with ``set_to_none=False``."""
        scalar_nn._check_set_to_none(set_to_none)
        for p in self.parameters():
            p.grad = None if set_to_none else np.zeros_like(p.data)

    # --- state ---------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer array by PyTorch's names (parameters first in each module)."""
        state: dict[str, np.ndarray] = {}
        for prefix, module in self.named_modules():
            for name, value in module._own():
                if isinstance(value, Parameter) or name in module._buffer_names:
                    state.setdefault(f"{prefix}.{name}" if prefix else name, value.data.copy())
        return state

    def _state_tensors(self) -> dict[str, Tensor]:
        return {**dict(self.named_parameters()), **dict(self.named_buffers())}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Set every parameter and buffer from ``state`` (ours, or a PyTorch ``state_dict()``).

        Checks everything first (names, shapes, numbers), so a bad ``state`` raises
        ``ValueError`` or ``TypeError`` naming the entry and leaves the module as it was.
        """
        if not isinstance(state, Mapping):
            raise TypeError(f"load_state_dict expects a mapping of names to arrays, got {type(state).__name__}")
        targets = self._state_tensors()
        missing = [n for n in targets if n not in state]
        unexpected = [n for n in state if n not in targets]
        if missing or unexpected:
            parts = [f"missing {_preview(missing)}"] if missing else []
            parts += [f"unexpected {_preview(unexpected)}"] if unexpected else []
            raise ValueError(f"state does not match this {type(self).__name__}: " + "; ".join(parts))
        arrays = {}
        for name, target in targets.items():
            value = state[name]
            if hasattr(value, "detach") and not isinstance(value, Tensor):
                value = value.detach()  # a torch tensor
            try:
                array = np.asarray(value)
            except (TypeError, ValueError):
                array = np.asarray(None)
            if array.dtype.kind not in ("fiu" if target.dtype.kind == "f" else "iu"):
                raise TypeError(f"state[{name!r}] must be an array of numbers, got {_describe(state[name])}")
            if array.shape != target.shape:
                raise ValueError(f"state[{name!r}] has shape {array.shape}, the module's is {target.shape}")
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise ValueError(f"state[{name!r}] is not finite everywhere (did training diverge?)")
            arrays[name] = array.astype(target.dtype, copy=True)
        for name, target in targets.items():
            target.data = arrays[name]

    # --- files and PyTorch -----------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this module's architecture (for model files)."""
        raise TypeError(
            f"{type(self).__name__} has no config(): define one returning its constructor arguments to save it"
        )

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the architecture and every array to a JSON file, atomically (see :mod:`micrograd.tensor.files`)."""
        files.save(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike[str], classes: Iterable[type[Module]] = ()) -> Module:
        """The module saved at ``path``, checked to be a ``cls``; a bad file raises ``ModelFileError``.

        ``classes`` lists module classes of your own (with a ``config()``) that the file may name.
        """
        known: dict[str, type] = {layer.__name__: layer for layer in _LAYERS}
        for own in classes:
            if not (isinstance(own, type) and issubclass(own, Module)):
                raise TypeError(f"classes must be Module subclasses, got {own!r}")
            known[own.__name__] = own
        return files.load(path, known, cls)

    def to_torch(self) -> Any:
        """The same layers as ``torch.nn`` modules, holding copies of this module's arrays; needs PyTorch."""
        torch = _import_torch()
        twin = self._torch_module(torch)
        twin.load_state_dict({name: torch.from_numpy(array) for name, array in self.state_dict().items()})
        return twin.train(self.training)

    def _torch_module(self, torch: Any) -> Any:
        raise TypeError(f"{type(self).__name__} has no PyTorch equivalent that to_torch() knows")

    # --- printing ------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"  ({name}): " + repr(child).replace("\n", "\n  ") for name, child in children]
        return f"{type(self).__name__}(\n" + "\n".join(lines) + "\n)"


def _preview(names: list[str], limit: int = 3) -> str:
    return ", ".join(repr(n) for n in names[:limit]) + (", ..." if len(names) > limit else "")


def _describe(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__}: {text if len(text) <= 30 else text[:27] + '...'}"


def _import_torch() -> Any:
    try:
        import torch
    except ImportError:
        raise ImportError('to_torch() needs PyTorch: pip install "micrograd[torch]" (or pip install torch)') from None
    return torch


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    return torch.float64 if dtype == np.float64 else torch.float32


_AFFINE = {(bias, input_grad): Affine(bias, input_grad) for bias in (True, False) for input_grad in (True, False)}
"""The four affine rules a Linear layer uses (with or without a bias, with or without ∂/∂x), made once."""


class Linear(Module):
    """y = x @ weight.T + bias, weight (out_features, in_features), as ``torch.nn.Linear``.

    ``init='pytorch'`` draws weight and bias from U(-1/√in, 1/√in) (PyTorch's
    kaiming-uniform with a = √5); ``'lecture'`` draws weight N(0, 1)·gain/√in (drawn as the
    lecture's (in, out) matrix, then transposed) and zeros the bias; ``'normal'`` draws both N(0, 1).
    """

    weight: Parameter
    bias: Parameter | None
    init: str
    gain: float

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, init: str = "pytorch",
                 gain: float = 1.0, generator: Generator | None = None, dtype: Any = "float64") -> None:  # fmt: skip
        super().__init__()
        self.in_features = _check_size("in_features", in_features)
        self.out_features = _check_size("out_features", out_features)
        if not isinstance(bias, bool):
            raise TypeError(f"bias must be True or False, got {type(bias).__name__}: {bias!r}")
        if init not in LINEAR_INITS:
            raise ValueError(f"unknown init {init!r}: choose one of {', '.join(map(repr, LINEAR_INITS))}")
        if isinstance(gain, bool) or not isinstance(gain, numbers.Real) or not math.isfinite(gain):
            raise ValueError(f"gain must be a finite number, got {gain!r}")
        self.init, self.gain = init, float(gain)
        dtype = _float_dtype(dtype)
        g = _check_generator(generator)
        n_in, n_out = self.in_features, self.out_features
        if init == "pytorch":
            bound = 1.0 / math.sqrt(n_in)
            weight = g.uniform(-bound, bound, n_out, n_in).data
            b = g.uniform(-bound, bound, n_out).data if bias else None
        elif init == "lecture":
            weight = (g.randn(n_in, n_out).data * (self.gain / math.sqrt(n_in))).T
            b = np.zeros(n_out) if bias else None
        else:
            weight = g.randn(n_out, n_in).data
            b = g.randn(n_out).data if bias else None
        self.weight = Parameter(np.ascontiguousarray(weight, dtype=dtype))
        self.bias = Parameter(b.astype(dtype)) if b is not None else None

    def forward(self, x: Tensor) -> Tensor:
        """x @ weight.T + bias as one fused node (:class:`~micrograd.tensor.fused.Affine`); x is cast to the
        layer's dtype (float64 data into a float32 layer) and gets a gradient only if it requires one."""
        x = _check_input(self, x, (1, 2, 3), self.in_features, -1)._to(self.weight.dtype)
        inputs = (x, self.weight) if self.bias is None else (x, self.weight, self.bias)
        return _apply(_AFFINE[self.bias is not None, x.requires_grad], inputs)

    def config(self) -> dict[str, Any]:
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias is not None,
                "init": self.init, "gain": self.gain, "dtype": self.weight.dtype.name}  # fmt: skip

    def _torch_module(self, torch: Any) -> Any:
        dtype = _torch_dtype(torch, self.weight.dtype)
        return torch.nn.Linear(self.in_features, self.out_features, self.bias is not None, dtype=dtype)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Embedding(Module):
    """A lookup table: row i of ``weight`` (num_embeddings, embedding_dim) for each index i, as the
    lecture's ``C[X]``; weight N(0, 1) as ``torch.nn.Embedding``."""

    def __init__(self, num_embeddings: int, embedding_dim: int, *, generator: Generator | None = None,
                 dtype: Any = "float64") -> None:  # fmt: skip
        super().__init__()
        self.num_embeddings = _check_size("num_embeddings", num_embeddings)
        self.embedding_dim = _check_size("embedding_dim", embedding_dim)
        dtype = _float_dtype(dtype)
        self.weight = Parameter(_check_generator(generator).randn(num_embeddings, embedding_dim).data.astype(dtype))

    weight: Parameter

    def forward(self, indices: Any) -> Tensor:
        array = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
        if array.dtype.kind not in "iu":
            raise TypeError(f"{self!r} takes integer indices (an int tensor or array), got {array.dtype}")
        if array.size and (array.min() < 0 or array.max() >= self.num_embeddings):
            bad = int(array.min()) if array.min() < 0 else int(array.max())
            raise IndexError(f"{self!r}: index {bad} is not a row of the table (0..{self.num_embeddings - 1})")
        return self.weight[array]

    def config(self) -> dict[str, Any]:
        return {"num_embeddings": self.num_embeddings, "embedding_dim": self.embedding_dim,
                "dtype": self.weight.dtype.name}  # fmt: skip

    def _torch_module(self, torch: Any) -> Any:
        dtype = _torch_dtype(torch, self.weight.dtype)
        return torch.nn.Embedding(self.num_embeddings, self.embedding_dim, dtype=dtype)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"


class BatchNorm1d(Module):
    """Each feature normalised to mean 0, variance 1 over the batch, then scaled and shifted (``torch.nn.BatchNorm1d``).

    Training: y = weight·(x - mean)/√(var + eps) + bias with the batch's mean and biased
    variance over N (2-D input (N, C)) or over N and L ((N, C, L)); the running statistics
    move by ``momentum``: r ← (1 - momentum)·r + momentum·stat, the variance unbiased
    (n/(n - 1) times the batch's). Evaluation (``eval()``) uses the running statistics.
    """

    weight: Parameter
    bias: Parameter
    running_mean: Tensor
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1, affine: bool = True,
                 track_running_stats: bool = True, *, dtype: Any = "float64") -> None:  # fmt: skip
        super().__init__()
        self.num_features = _check_size("num_features", num_features)
        for name, value in (("eps", eps), ("momentum", momentum)):
            if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < math.inf:
                raise ValueError(f"BatchNorm1d {name} must be a finite number >= 0, got {value!r}")
        if momentum > 1:
            raise ValueError(f"BatchNorm1d momentum must be in [0, 1], got {momentum!r}")
        for name, flag in (("affine", affine), ("track_running_stats", track_running_stats)):
            if not isinstance(flag, bool):
                raise TypeError(f"BatchNorm1d {name} must be True or False, got {type(flag).__name__}")
        self.eps, self.momentum = float(eps), float(momentum)
        self.affine, self.track_running_stats = affine, track_running_stats
        dtype = _float_dtype(dtype)
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features, dtype=dtype)))
            self.register_buffer("running_var", Tensor(np.ones(num_features, dtype=dtype)))
            self.register_buffer("num_batches_tracked", Tensor(np.zeros((), dtype=np.int64)))

    def forward(self, x: Tensor) -> Tensor:
        x = _check_input(self, x, (2, 3), self.num_features, 1)
        dims = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (() if x.ndim == 2 else (1,))  # weight and stats broadcast along dim 1
        if self.training or not self.track_running_stats:
            n = x.numel() // self.num_features
            if n < 2:
                raise ValueError(f"{self!r} in training needs more than 1 value per feature, got input shape {x.shape}")
            mean = x.mean(dims, keepdim=True)
            var = x.var(dims, keepdim=True, correction=0)
            if self.training and self.track_running_stats:
                with no_grad():
                    m = self.momentum
                    self.running_mean.data = (1 - m) * self.running_mean.data + m * mean.data.reshape(-1)
                    unbiased = var.data.reshape(-1) * (n / (n - 1))
                    self.running_var.data = (1 - m) * self.running_var.data + m * unbiased
                    self.num_batches_tracked.data = np.asarray(self.num_batches_tracked.data + 1)
        else:
            mean = self.running_mean.reshape(*shape)
            var = self.running_var.reshape(*shape)
        out = (x - mean) / (var + self.eps).sqrt()
        if self.affine:
            out = out * self.weight.reshape(*shape) + self.bias.reshape(*shape)
        return out

    def config(self) -> dict[str, Any]:
        dtype = (self.weight if self.affine else self.running_mean if self.track_running_stats else None)
        return {"num_features": self.num_features, "eps": self.eps, "momentum": self.momentum,
                "affine": self.affine, "track_running_stats": self.track_running_stats,
                "dtype": dtype.dtype.name if dtype is not None else "float64"}  # fmt: skip

    def _torch_module(self, torch: Any) -> Any:
        dtype = _torch_dtype(torch, np.dtype(self.config()["dtype"]))
        return torch.nn.BatchNorm1d(self.num_features, self.eps, self.momentum, self.affine,
                                    self.track_running_stats, dtype=dtype)  # fmt: skip

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps:g}, momentum={self.momentum:g}, affine={self.affine}"


class Tanh(Module):
    """tanh of every element."""

    def forward(self, x: Tensor) -> Tensor:
        return _tensor_input(self, x).tanh()  # type: ignore[attr-defined]  # made from the ops registry

    def config(self) -> dict[str, Any]:
        return {}

    def _torch_module(self, torch: Any) -> Any:
        return torch.nn.Tanh()


class ReLU(Module):
    """max(0, x) of every element."""

    def forward(self, x: Tensor) -> Tensor:
        return _tensor_input(self, x).relu()  # type: ignore[attr-defined]  # made from the ops registry

    def config(self) -> dict[str, Any]:
        return {}

    def _torch_module(self, torch: Any) -> Any:
        return torch.nn.ReLU()


class Flatten(Module):
    """Dims start_dim..end_dim merged into one (by default all but the batch dim: (B, 3, 10) → (B, 30))."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        for name, value in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"Flatten {name} must be an int, got {type(value).__name__}: {value!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def forward(self, x: Tensor) -> Tensor:
        return _tensor_input(self, x).flatten(self.start_dim, self.end_dim)

    def config(self) -> dict[str, Any]:
        return {"start_dim": self.start_dim, "end_dim": self.end_dim}

    def _torch_module(self, torch: Any) -> Any:
        return torch.nn.Flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Layers applied in turn: ``Sequential(Linear(2, 16), ReLU(), Linear(16, 1))``; ``model[0]`` is the first."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(f"Sequential: layer {i} must be a Module, got {type(layer).__name__}")
            setattr(self, str(i), layer)

    def __getitem__(self, i: int) -> Module:
        layers = list(self.children())
        return layers[i]

    def __len__(self) -> int:
        return sum(1 for _ in self.children())

    def __iter__(self) -> Iterator[Module]:
        return self.children()

    def forward(self, x: Any) -> Any:
        for layer in self.children():
            x = layer(x)
        return x

    def config(self) -> dict[str, Any]:
        return {"layers": [files.architecture(layer) for layer in self.children()]}

    def _torch_module(self, torch: Any) -> Any:
        return torch.nn.Sequential(*[layer._torch_module(torch) for layer in self.children()])


_LAYERS: tuple[type[Module], ...] = (Linear, Embedding, BatchNorm1d, Tanh, ReLU, Flatten, Sequential)
"""The layer classes a model file may name without ``Module.load(..., classes=...)``."""
