"""From a traced graph to the source of one program: the forward pass, then the backward pass.

:mod:`micrograd.compile` records a function's graph once (a :class:`Graph`: each node
an input of one sample, a parameter, a constant or an operation). This module turns
that graph into Python source, one line per operation, by running every operation's
own rules from :mod:`micrograd.ops` on the symbols of :mod:`micrograd.codegen`:

* forward, in topological order:  ``v7 = op.forward(m, v3, v5)`` becomes a line;
* backward, in reverse order, the chain rule exactly as ``Value.backward`` runs it:
  ``op.backward(m, g7, v7, v3, v5)`` gives each input's share g7·∂v7/∂input, and a node
  used several times adds up the shares of all its uses.

Two programs can be written from the same graph:

* :func:`python_source`: pure Python on floats, a loop over the samples (no NumPy);
* :func:`numpy_source`: NumPy arrays over the whole batch at once. Each node is an
  array of B numbers, one per sample, except the nodes that do not depend on the sample
  (parameters and what is computed from them alone): those are computed once, and the
  gradient flowing into them from the B samples is summed.

The NumPy program also vectorises groups of scalar nodes that do the same thing:

* a *layer*: fused neurons (``dot`` nodes) that share their input list and whose
  weights are parameters become one matrix product ``z = W @ x + b``. Its backward is
  the dot rule run on symbolic slices of whole arrays (:class:`codegen.Product`): the
  rule gives each edge's share (g·xⱼ to wᵢⱼ, g·wᵢⱼ to xⱼ); adding the shares of every
  edge into a node, over the batch for a weight and over the neurons for an input, is
  ``g @ x.T`` and ``W.T @ g``;
* a *map*: the same operation applied to each row of such a group (a layer's ReLUs),
  or to the rows of a gathered array (each parameter squared), is one array operation,
  its rules applied to whole arrays;
* a *sum*: a chain ``acc + v₁ + v₂ + …`` (Python's ``sum()``) over a group is one
  ``np.sum``, when its rule passes the gradient through the accumulator unchanged (so
  every term gets the same share).

Summation order inside a matrix product or ``np.sum`` differs from the scalar graph's
left-to-right order, so the NumPy program agrees with eager micrograd to rounding
(~1e-15 relative), not to the last bit. The pure-Python program runs the same
float operations as eager code for each sample.
"""

from __future__ import annotations

import builtins
import heapq
import keyword
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from micrograd.codegen import (
    MULTILINEAR,
    NUMPY,
    PYTHON,
    Expr,
    Factor,
    Product,
    Sum,
    Writer,
    const,
    contract,
    stack,
)
from micrograd.ops import ADD, DOT, SUB, Op

__all__ = ["Node", "Graph", "python_source", "numpy_source", "MIN_SUM"]

MIN_SUM = 4
"""Shortest ``acc + v₁ + … + vₙ`` chain written as one ``np.sum``."""

Operand = Expr | float | bool


@dataclass(eq=False)
class Node:
    """One node of a traced graph (nodes refer to each other by position)."""

    kind: str
    """``'input'`` (one number of one sample), ``'param'``, ``'const'`` or ``'op'``."""
    op: Op | None = None
    inputs: tuple[int, ...] = ()
    value: float = 0.0
    """A constant's number (frozen at trace time)."""
    arg: int = -1
    """For an input: which argument of the function."""
    item: int | None = None
    """For an input: its position in a sequence argument (None when the argument is one number)."""
    param: int = -1
    """For a parameter: its position in the parameter list."""
    label: str = ""
    varying: bool = False
    """Depends on the sample (an input reaches it)."""
    needs_grad: bool = False
    """Depends on a parameter, so the backward pass must reach it."""
    users: list[int] = field(default_factory=list)


@dataclass
class Graph:
    """A traced function: nodes in topological order, its outputs, and its arguments."""

    nodes: list[Node]
    outputs: list[int]
    args: list[tuple[str, int | None]]
    """(name, size) for each argument: size n for a sequence of n numbers, None for one number."""
    n_params: int

    def __post_init__(self) -> None:
        for i, node in enumerate(self.nodes):
            if node.kind == "input":
                node.varying = True
            elif node.kind == "param":
                node.needs_grad = True
            for j in node.inputs:
                parent = self.nodes[j]
                parent.users.append(i)
                node.varying |= parent.varying
                node.needs_grad |= parent.needs_grad


def _op_math(op: Op) -> tuple[str, str]:
    """The math of an op from its docstring: (forward, derivatives), for comments."""
    lines = [line.strip() for line in (type(op).__doc__ or "").splitlines() if line.strip()]
    first = lines[0] if lines else str(op)
    forward = first.split(";")[0].rstrip(".")
    if ": " in forward:
        forward = forward.rsplit(": ", 1)[1]
    backward = next((line for line in lines if "∂" in line), "")
    backward = backward.split(";")[-1].strip().rstrip(".")
    return forward, backward


def _identifier(label: str) -> str:
    """A Value's label as a variable name, when it can be one (``'w1'`` yes, ``'x·w'`` no)."""
    ok = label.isidentifier() and label.isascii() and not label.startswith("_") and not keyword.iskeyword(label)
    return label if ok else ""


def _op_name(op: Op) -> str:
    """An identifier for an op's results: ``relu``, ``mul``, ``pow``."""
    return type(op).__name__.lower().replace("powconst", "pow")


_RESERVED = set(keyword.kwlist) | set(dir(builtins)) | {
    "np", "theta", "gtheta", "seed", "total", "outputs", "aux", "div", "pow", "exp", "log", "sqrt",
    "tanh", "sin", "cos", "sign", "inf", "nan", "forward", "forward_backward",
}  # fmt: skip


class _Names:
    """Unique variable names for the generated program."""

    def __init__(self) -> None:
        self.used = set(_RESERVED)

    def new(self, base: str) -> str:
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name


def _wrap(items: Sequence[str], width: int = 88) -> list[str]:
    """Items as comma-separated lines of at most ``width`` characters (no trailing commas)."""
    lines: list[list[str]] = [[]]
    length = 0
    for item in items:
        if lines[-1] and length + len(item) + 2 > width:
            lines.append([])
            length = 0
        lines[-1].append(item)
        length += len(item) + 2
    return [", ".join(line) for line in lines if line]


class _Emitter:
    """What both programs share: names, values, and the bookkeeping of gradients."""

    math: Any = None

    def __init__(self, graph: Graph, backward: bool) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.backward = backward
        self.names = _Names()
        self.w = Writer()
        self.args = []
        for i, (name, _) in enumerate(graph.args):
            ok = name.isidentifier() and not name.startswith("_") and name not in self.names.used
            self.args.append(self.names.new(name if ok else f"arg{i}"))
        self.value: dict[int, Operand] = {}
        self.grad: dict[Any, Expr] = {}
        self.grad_names: dict[Any, str] = {}

    # --- values ---------------------------------------------------------------------

    def node_comment(self, i: int, text: str) -> str:
        label = self.nodes[i].label
        return f"{text}  [{label}]" if label else text

    def emit_op(self, i: int, inputs: Sequence[Operand]) -> None:
        """The forward line of op node i: its rule run on its inputs' symbols."""
        node = self.nodes[i]
        result = node.op.forward(self.math, *inputs)  # type: ignore[union-attr]
        if isinstance(result, Expr):
            name = self.names.new(f"v{i}")
            math = _op_math(node.op)[0]  # type: ignore[arg-type]
            self.w.line(f"{name} = {result.text}", self.node_comment(i, f"{node.op}  {math}"))
            self.value[i] = Expr.name(name)
        else:  # every input was a constant: the rule folded to a number
            self.value[i] = result

    def backward_op(self, i: int, inputs: Sequence[Operand], reduce: bool) -> None:
        """The backward lines of op node i: its rule gives each input its share."""
        node = self.nodes[i]
        g = self.grad.get(i)
        if g is None:
            return
        shares = node.op.backward(self.math, g, self.value[i], *inputs)  # type: ignore[union-attr]
        shares = [self.constant_share(share, g) for share in shares]
        comment = f"{node.op}  {_op_math(node.op)[1]}"  # type: ignore[arg-type]
        for j, share in zip(node.inputs, shares):
            self.give(j, share, reduce, comment)

    # --- gradients ------------------------------------------------------------------

    def grad_name(self, key: Any, base: str) -> str:
        if key not in self.grad_names:
            self.grad_names[key] = self.names.new(f"g_{base}")
        return self.grad_names[key]

    def accumulate(self, key: Any, base: str, share: Operand, comment: str) -> None:
        """grad[key] += share: the first share is assigned (or just named), later ones added."""
        current = self.grad.get(key)
        if current is None and isinstance(share, Expr) and share.kind == "name":
            self.grad[key] = share
            return
        name = self.grad_name(key, base)
        text = share.text if isinstance(share, Expr) else const(share)
        if current is None:
            self.w.line(f"{name} = {text}", comment)
        else:
            self.w.line(f"{name} = {(current + share).text}", comment)
        self.grad[key] = Expr.name(name)

    def give(self, j: int, share: Operand, reduce: bool, comment: str) -> None:
        raise NotImplementedError

    def constant_share(self, share: Operand, g: Expr) -> Operand:
        """A rule may give an input a constant share (``where`` gives the other side 0.0)."""
        return share


# --- the pure-Python program ---------------------------------------------------------


class _PythonEmitter(_Emitter):
    math = PYTHON

    def __init__(self, graph: Graph, backward: bool) -> None:
        super().__init__(graph, backward)
        labels = {n.param: n.label for n in graph.nodes if n.kind == "param"}
        self.params = [self.names.new(_identifier(labels.get(k, "")) or f"p{k}") for k in range(graph.n_params)]
        self.accumulators: set[int] = set()

    def give(self, j: int, share: Operand, reduce: bool, comment: str) -> None:
        node = self.nodes[j]
        if not node.needs_grad:
            return
        if j in self.accumulators:  # summed over the samples: initialised to 0.0 before the loop
            text = share.text if isinstance(share, Expr) else const(share)
            self.w.line(f"{self.grad_names[j]} += {text}", comment)
            return
        self.accumulate(j, _text_of(self.value[j]), share, comment)

    def source(self) -> str:
        graph, nodes, w = self.graph, self.nodes, self.w
        out = graph.outputs
        name = "forward_backward" if self.backward else "forward"
        w.line(f"def {name}(theta, {', '.join(self.args)}{', seed' if self.backward else ''}):")
        w.indent()
        w.line('"""' + self._docstring())
        w.line('"""')
        if self.params:
            _assign(w, self.params, "theta")
        for i, node in enumerate(nodes):
            if node.kind == "param":
                self.value[i] = Expr.name(self.params[node.param])
            elif node.kind == "const":
                self.value[i] = node.value
        shared = [i for i, n in enumerate(nodes) if n.kind == "op" and not n.varying]
        per_sample = [i for i, n in enumerate(nodes) if n.kind == "op" and n.varying]
        if shared:
            w.comment("computed once: these nodes do not depend on the sample")
            for i in shared:
                self.emit_op(i, [self.value[j] for j in nodes[i].inputs])
        aux = len(out) > 1
        if self.backward:
            self._start_accumulators()
            w.line("total = 0.0")
            if aux:
                w.line("aux = []", "the other outputs of each sample (no gradient)")
        else:
            w.line("outputs = []")
        rows = [self.names.new(f"{a}_s") for a in self.args]
        batch = self.args[0] if len(self.args) == 1 else f"zip({', '.join(self.args)})"
        w.line(f"for {', '.join(rows)} in {batch}:", "one sample at a time")
        w.indent()
        self._unpack_inputs(rows)
        for i in per_sample:
            self.emit_op(i, [self.value[j] for j in nodes[i].inputs])
        results = [self.value[i] for i in out]
        texts = [r.text if isinstance(r, Expr) else const(r) for r in results]
        if not self.backward:
            w.line(f"outputs.append({texts[0] if len(texts) == 1 else '(' + ', '.join(texts) + ')'})")
            w.dedent()
            w.line("return outputs")
            return w.source()
        w.line(f"total += {texts[0]}")
        if aux:
            w.line(f"aux.append({texts[1] if len(texts) == 2 else '(' + ', '.join(texts[1:]) + ')'})")
        w.comment("backward: the chain rule, from the output back to the inputs")
        self.give(out[0], Expr.name("seed"), True, "seed: ∂loss/∂output of this sample")
        for i in reversed(per_sample):
            self.backward_op(i, [self.value[j] for j in nodes[i].inputs], True)
        w.dedent()
        if shared:
            w.comment("backward through the nodes computed once, with their gradients summed over the samples")
            for i in reversed(shared):
                self.backward_op(i, [self.value[j] for j in nodes[i].inputs], False)
        grads = [self.grad_names[i] for i in sorted(self.accumulators, key=lambda i: nodes[i].param)
                 if nodes[i].kind == "param"]  # fmt: skip
        lines = _wrap(grads)
        start = "return total, aux, [" if aux else "return total, ["
        if len(lines) == 1:
            w.line(f"{start}{lines[0]}]")
        else:
            w.line(start)
            for line in lines:
                w.line("    " + line + ",")
            w.line("]")
        return w.source()

    def _docstring(self) -> str:
        args = ", ".join(self.args)
        if self.backward:
            return (
                f"Σ over the samples of the output, and its gradient for each parameter.\n\n"
                f"    theta: the values of {_count(self.graph.n_params, 'parameter')}; "
                f"{args}: the batch (one item per sample);\n"
                f"    seed: ∂loss/∂output for one sample (1/B for a mean)."
            )
        return f"The outputs for each sample of the batch {args}; theta: the parameters' values."

    def _start_accumulators(self) -> None:
        """Gradients summed over the samples start at 0.0: parameters and shared nodes used per sample."""
        nodes = self.nodes
        for i, node in enumerate(nodes):
            shared_input = not node.varying and node.needs_grad
            used_per_sample = any(nodes[u].varying for u in node.users) or i in self.graph.outputs
            if node.kind == "param" or (shared_input and node.kind == "op" and used_per_sample):
                self.accumulators.add(i)
                base = self.params[node.param] if node.kind == "param" else f"v{i}"
                self.grad_names[i] = self.names.new(f"g_{base}")
                self.grad[i] = Expr.name(self.grad_names[i])
        names = [self.grad_names[i] for i in sorted(self.accumulators)]
        for line in _wrap(names, width=88):
            self.w.line(line.replace(",", " =") + " = 0.0")

    def _unpack_inputs(self, rows: list[str]) -> None:
        used: dict[tuple[int, int | None], int] = {}
        for i, node in enumerate(self.nodes):
            if node.kind == "input":
                used[(node.arg, node.item)] = i
        for a, (_, size) in enumerate(self.graph.args):
            if size is None:
                if (a, None) in used:
                    self.value[used[(a, None)]] = Expr.name(rows[a])
                continue
            targets = []
            for item in range(size):
                index = used.get((a, item))
                if index is None:
                    targets.append("_")
                else:
                    name = self.names.new(f"{self.args[a]}{item}")
                    self.value[index] = Expr.name(name)
                    targets.append(name)
            if any(t != "_" for t in targets):
                self.w.line(f"{', '.join(targets)}{',' if size == 1 else ''} = {rows[a]}")


def _assign(w: Writer, names: list[str], value: str) -> None:
    """``a, b, c = value``, over several lines when there are many names."""
    lines = _wrap(names)
    if len(lines) == 1:
        w.line(f"{lines[0]}{',' if len(names) == 1 else ''} = {value}")
        return
    w.line("(")
    for line in lines:
        w.line(f"    {line},")
    w.line(f") = {value}")


def python_source(graph: Graph, backward: bool = True) -> str:
    """A pure-Python program for the graph: a loop over the samples, one line per operation.

    ``forward_backward(theta, *batches, seed)`` returns ``(Σ output, gradients)``, the sum
    over the samples of the (first) output and the gradient of ``seed × that`` for each
    parameter (with ``aux``, every sample's other outputs, between the two);
    ``forward(theta, *batches)`` returns the outputs of every sample.
    """
    return _PythonEmitter(graph, backward).source()


# --- the NumPy program: planning the vectorisation ------------------------------------


@dataclass(eq=False)
class Stack:
    """Several nodes as the rows of one array.

    ``layer`` and ``map`` compute their rows; ``params``, ``inputs``, ``consts`` and
    ``pack`` gather nodes that are computed (or given) elsewhere.
    """

    kind: str
    nodes: list[int]
    varying: bool
    op: Op | None = None
    operands: list[tuple[str, Any]] = field(default_factory=list)
    x: Stack | None = None
    W: Stack | None = None
    b: Stack | None = None
    shape: tuple[int, ...] = ()
    name: str = ""
    derived: dict[str, Any] = field(default_factory=dict)

    @property
    def computed(self) -> bool:
        return self.kind in ("layer", "map")


@dataclass(eq=False)
class _Chain:
    """acc = init ± v₁ ± v₂ … ± vₙ written as one sum over the stack of the v's."""

    links: list[int]
    init: int
    elements: Stack
    op: Op


@dataclass(eq=False)
class _Unit:
    kind: str  # 'op', 'stack' or 'chain'
    key: int
    item: Any


class _Plan:
    """Which nodes are computed together, and in which order the program computes them."""

    def __init__(self, graph: Graph, vectorise: bool = True) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.home: dict[int, tuple[Stack, int]] = {}
        self.taken: set[int] = set()
        self.stacks: list[Stack] = []
        self.chains: list[_Chain] = []
        self.gathers: dict[tuple[str, tuple[int, ...]], Stack] = {}
        self.layout = list(range(graph.n_params))
        if vectorise:
            self._layers()
            self.layout = self._layout()
        self.position = {k: n for n, k in enumerate(self.layout)}
        if vectorise:
            self._sums()
        self.units = self._order()

    # --- finding groups -------------------------------------------------------------

    def _add(self, s: Stack) -> Stack:
        if s.computed:
            for r, i in enumerate(s.nodes):
                self.home[i] = (s, r)
                self.taken.add(i)
        self.stacks.append(s)
        return s

    def gather(self, items: list[int], pack: bool) -> Stack | None:
        """The nodes ``items`` as one array: an existing group, or a gather of them."""
        nodes = self.nodes
        homes = [self.home.get(i) for i in items]
        if all(h is not None for h in homes):
            s = homes[0][0]  # type: ignore[index]
            if all(h[0] is s for h in homes) and [h[1] for h in homes] == list(range(len(s.nodes))):  # type: ignore[index]
                return s
        kinds = {nodes[i].kind for i in items}
        key = (str(sorted(kinds)), tuple(items))
        if key in self.gathers:
            return self.gathers[key]
        varying = {nodes[i].varying for i in items}
        if kinds == {"param"}:
            s = Stack("params", list(items), False, shape=(len(items),))
        elif kinds == {"const"}:
            s = Stack("consts", list(items), False)
        elif kinds == {"input"} and len({nodes[i].arg for i in items}) == 1 and self._rows_of_input(items):
            s = Stack("inputs", list(items), True)
        elif pack and len(varying) == 1 and all(i not in self.taken or i in self.home for i in items):
            s = Stack("pack", list(items), varying.pop())
        else:
            return None
        self.gathers[key] = s
        self.stacks.append(s)
        return s

    def _rows_of_input(self, items: list[int]) -> bool:
        """Distinct numbers of one sequence argument, or the single number of a scalar one."""
        positions = [self.nodes[i].item for i in items]
        if None in positions:
            return positions == [None]
        return len(set(positions)) == len(positions)

    def _layout(self) -> list[int]:
        """Parameter order in theta: each layer's W (row by row) and b contiguous, then the rest."""
        nodes, layout = self.nodes, []
        placed: set[int] = set()
        for s in self.stacks:
            if s.kind == "layer":
                for part in (s.W, s.b):
                    ks = [nodes[i].param for i in part.nodes]  # type: ignore[union-attr]
                    if len(set(ks)) == len(ks) and not placed & set(ks):
                        layout += ks
                        placed.update(ks)
        return layout + [k for k in range(self.graph.n_params) if k not in placed]

    def _theta_order(self, i: int) -> int:
        """Where a term's parameters sit in theta (terms of a sum are gathered in this order)."""
        nodes = self.nodes
        found = [self.position[nodes[j].param] for j in (i, *nodes[i].inputs) if nodes[j].kind == "param"]
        return min(found, default=len(self.position))

    def _layers(self) -> None:
        """Fused neurons sharing their input list, with parameter weights: one matrix product.

        Layers are found in graph order, each followed by the maps that grow from it, so
        that the next layer finds its input (say the ReLUs of this one) already an array.
        """
        nodes = self.nodes
        groups: dict[tuple[int, ...], list[int]] = {}
        for i, node in enumerate(nodes):
            if node.op is DOT:
                n = len(node.inputs) // 2
                weights = (*node.inputs[:n], node.inputs[-1])
                if n and all(nodes[j].kind == "param" for j in weights):
                    groups.setdefault(node.inputs[n : 2 * n], []).append(i)
        for x, rows in groups.items():
            xs = self.gather(list(x), pack=True)
            if xs is None:
                continue
            n = len(x)
            W = Stack("params", [j for i in rows for j in nodes[i].inputs[:n]], False, shape=(len(rows), n))
            b = Stack("params", [nodes[i].inputs[-1] for i in rows], False, shape=(len(rows),))
            layer = Stack("layer", rows, xs.varying, op=DOT, x=xs, W=W, b=b)
            if _derive_layer(layer, n):
                self.stacks.extend((W, b))
                self.gathers.setdefault((str(["param"]), tuple(b.nodes)), b)  # a map may reuse the biases
                self._grow(self._add(layer))

    def _grow(self, s: Stack) -> None:
        """The same operation on every row of a group (a layer's activations) is one array op."""
        nodes = self.nodes
        if len(s.nodes) < 2:
            return
        first = s.nodes[0]
        for c in dict.fromkeys(nodes[first].users):
            head = nodes[c]
            if c in self.taken or head.op is DOT or len(head.inputs) > 2 or c in self.graph.outputs:
                continue
            p = head.inputs.index(first)
            rows = [c]
            for r in s.nodes[1:]:
                match = next(
                    (
                        u
                        for u in dict.fromkeys(nodes[r].users)
                        if u not in self.taken
                        and u not in rows
                        and u not in self.graph.outputs
                        and same_op(nodes[u].op, head.op)
                        and len(nodes[u].inputs) == len(head.inputs)
                        and nodes[u].inputs[p] == r
                    ),
                    None,
                )
                if match is None:
                    break
                rows.append(match)
            if len(rows) < len(s.nodes):
                continue
            operands = self._operands(rows, {p: s}, pack=False)
            if operands is None:
                continue
            grown = self._add(Stack("map", rows, _any_varying(operands, nodes), op=head.op, operands=operands))
            self._grow(grown)

    def _operands(self, rows: list[int], known: dict[int, Stack], pack: bool, depth: int = 0) -> list | None:
        """For each input position of the ops ``rows``: a stack, one shared node, or a constant."""
        nodes = self.nodes
        operands: list[tuple[str, Any]] = []
        for q in range(len(nodes[rows[0]].inputs)):
            column = [nodes[r].inputs[q] for r in rows]
            if q in known:
                operands.append(("stack", known[q]))
            elif all(j == column[0] for j in column):
                j = column[0]
                operands.append(("const", nodes[j].value) if nodes[j].kind == "const" else ("node", j))
            else:
                sub = self._stackable(column, depth + 1)
                if sub is None:
                    return None
                operands.append(("stack", sub))
        return operands

    def _stackable(self, items: list[int], depth: int = 0) -> Stack | None:
        """The nodes ``items`` as an array: gathered, or computed as a map if they are alike."""
        found = self.gather(items, pack=False)
        if found is not None or depth > 24 or len(set(items)) != len(items):
            return found
        nodes = self.nodes
        head = nodes[items[0]]
        if head.kind != "op" or head.op is DOT or len(head.inputs) > 2:
            return None
        for i in items:
            n = nodes[i]
            if i in self.taken or i in self.graph.outputs or not same_op(n.op, head.op):
                return None
            if len(n.inputs) != len(head.inputs):
                return None
        operands = self._operands(items, {}, pack=False, depth=depth)
        if operands is None:
            return None
        return self._add(Stack("map", list(items), _any_varying(operands, nodes), op=head.op, operands=operands))

    def _sums(self) -> None:
        """Chains acc ± v₁ ± v₂ … (Python's ``sum()``) over alike terms: one ``np.sum``."""
        nodes, outputs = self.nodes, self.graph.outputs
        for end, node in enumerate(nodes):
            if end in self.taken or (node.op is not ADD and node.op is not SUB):
                continue
            users = node.users
            if end not in outputs and len(users) == 1:
                nxt = nodes[users[0]]
                if nxt.op is node.op and nxt.inputs[0] == end and nxt.inputs[1] != end:
                    continue  # not the end of its chain
            links = [end]
            while True:
                a = nodes[links[-1]].inputs[0]
                an = nodes[a]
                if an.op is not node.op or an.users != [links[-1]] or a in self.taken or a in outputs:
                    break
                links.append(a)
            links.reverse()
            if len(links) < MIN_SUM or not _sum_rule_is_uniform(node.op):  # type: ignore[arg-type]
                continue
            terms = [nodes[i].inputs[1] for i in links]
            if any(t in links for t in terms):
                continue
            alike = next((k for k, t in enumerate(terms) if not _alike(nodes[t], nodes[terms[0]])), len(terms))
            for count in dict.fromkeys((len(terms), alike)):  # the whole chain, or its alike start: sum(…) + y
                if count < MIN_SUM:
                    continue
                # a sum's order is free: follow theta, so that the parameters' p² is one slice
                elements = self._stackable(sorted(terms[:count], key=self._theta_order))
                if elements is not None:
                    chain = _Chain(links[:count], nodes[links[0]].inputs[0], elements, node.op)  # type: ignore[arg-type]
                    self.chains.append(chain)
                    self.taken.update(links[:count])
                    break

    # --- order ----------------------------------------------------------------------

    def _order(self) -> list[_Unit]:
        """Topological order of the units (an op, a computed stack, a sum), graph order first."""
        nodes = self.nodes
        units: list[_Unit] = []
        self._unit_of: dict[int, _Unit] = {}
        for s in self.stacks:
            if s.computed:
                unit = _Unit("stack", min(s.nodes), s)
                units.append(unit)
                for i in s.nodes:
                    self._unit_of[i] = unit
        for chain in self.chains:
            unit = _Unit("chain", chain.links[-1], chain)
            units.append(unit)
            self._unit_of[chain.links[-1]] = unit
        for i, node in enumerate(nodes):
            if node.kind == "op" and i not in self.taken:
                unit = _Unit("op", i, i)
                units.append(unit)
                self._unit_of[i] = unit
        deps: dict[int, set[int]] = {id(u): set() for u in units}
        users: dict[int, list[_Unit]] = {id(u): [] for u in units}
        for u in units:
            for i in self.reads(u):
                d = self._unit_of.get(i)
                if d is not None and d is not u and id(d) not in deps[id(u)]:
                    deps[id(u)].add(id(d))
                    users[id(d)].append(u)
        ready = [(u.key, n, u) for n, u in enumerate(units) if not deps[id(u)]]
        heapq.heapify(ready)
        order = []
        count = {id(u): len(deps[id(u)]) for u in units}
        serial = len(units)
        while ready:
            _, _, u = heapq.heappop(ready)
            order.append(u)
            for v in users[id(u)]:
                count[id(v)] -= 1
                if count[id(v)] == 0:
                    serial += 1
                    heapq.heappush(ready, (v.key, serial, v))
        if len(order) != len(units):
            raise _Cycle
        return order

    def reads(self, u: _Unit) -> list[int]:
        """The nodes a unit reads."""
        if u.kind == "op":
            return list(self.nodes[u.item].inputs)
        if u.kind == "chain":
            return [u.item.init, *self._stack_reads(u.item.elements)]
        s = u.item
        if s.kind == "layer":
            return self._stack_reads(s.x)
        found: list[int] = []
        for kind, operand in s.operands:
            if kind == "stack":
                found += self._stack_reads(operand)
            elif kind == "node":
                found.append(operand)
        return found

    def _stack_reads(self, s: Stack) -> list[int]:
        return list(s.nodes) if s.kind in ("pack", "layer", "map") else []


class _Cycle(Exception):
    """A grouping made two groups depend on each other; plan again without grouping."""


def same_op(a: Any, b: Any) -> bool:
    """The same operation: same class, same symbol, same settings (a ``**c``'s c, a ``where``'s side)."""
    if a is b:
        return True
    return isinstance(a, Op) and type(a) is type(b) and a == b and vars(a) == vars(b)


def _alike(a: Node, b: Node) -> bool:
    """Nodes that could be rows of one array: the same kind, and for ops the same operation."""
    return a.kind == b.kind and (a.kind != "op" or same_op(a.op, b.op))


def _any_varying(operands: list[tuple[str, Any]], nodes: list[Node]) -> bool:
    for kind, operand in operands:
        if (kind == "stack" and operand.varying) or (kind == "node" and nodes[operand].varying):
            return True
    return False


def _sum_rule_is_uniform(op: Op) -> bool:
    """A chain of ``op`` is a sum when its rules say so: acc + f(v), and ∂/∂acc passes g on unchanged.

    Then every link adds f(vₖ) (so the chain is acc₀ + Σ f(vₖ)) and every term receives
    the same share of the gradient, whatever the partial sums were.
    """
    acc, term, g, out = (Expr.name(n) for n in ("acc", "term", "g", "out"))
    forward = op.forward(NUMPY, acc, term)
    if not (isinstance(forward, Expr) and forward.kind in ("+", "-") and forward.args[0] is acc):
        return False
    if "acc" in _names_of(forward.args[1]):
        return False
    to_acc, to_term = op.backward(NUMPY, g, out, acc, term)
    return to_acc is g and isinstance(to_term, Expr) and to_term.names <= {"g", "term"}


def _derive_layer(layer: Stack, n: int) -> bool:
    """Run the dot rule on slices of the layer's arrays; keep the stacked results.

    The forward rule gives b + Σⱼ W[:, j]·x[j] (a sum of n products of slices), which
    stacks over j into one product W·x with j summed. The backward rule gives, for
    each j, g·x[j] (the share of column j of W) and g·W[:, j] (the share of x[j]);
    stacked over j they are g·x and g·W, to be summed over whatever axes the
    receiving array lacks (see :func:`codegen.contract`).
    """
    x_axes = "js" if layer.varying else "j"
    out_axes = "is" if layer.varying else "i"
    W, x, b, g = "W", "x", "b", "g"  # array names are filled in when the program is written
    cols = [Product(Factor(W, "ij", (("j", j),))) for j in range(n)]
    xs = [Product(Factor(x, x_axes, (("j", j),))) for j in range(n)]
    bias = Product(Factor(b, "i"))
    try:
        forward = DOT.forward(MULTILINEAR, *cols, *xs, bias)
        out = Product(Factor("z", out_axes))
        shares = DOT.backward(MULTILINEAR, Product(Factor(g, out_axes)), out, *cols, *xs, bias)
    except (TypeError, AttributeError):
        return False
    if not isinstance(forward, Sum):
        return False
    sliced = [t for t in forward.terms if any(f.fixed for f in t.factors)]
    whole = [t for t in forward.terms if not any(f.fixed for f in t.factors)]
    product = stack(sliced, "j")
    to_w, to_x = stack(shares[:n], "j"), stack(shares[n : 2 * n], "j")
    if product is None or to_w is None or to_x is None or len(shares) != 2 * n + 1:
        return False
    terms: list[Product] = []
    for t in forward.terms:  # the rule's order, with the n sliced products as one
        if t is sliced[0]:
            terms.append(product)
        elif t in whole:
            terms.append(t)
    layer.derived = {
        "forward": terms,
        "W": to_w,
        "x": to_x,
        "b": shares[-1],
        "axes": {"W": "ij", "x": x_axes, "b": "i", "g": out_axes},
    }
    return True


def _rename(product: Product, names: dict[str, str]) -> Product:
    return Product(*(Factor(names[f.array], f.axes, f.fixed) for f in product.factors))


# --- the NumPy program: writing it ---------------------------------------------------


class _NumpyEmitter(_Emitter):
    math = NUMPY

    def __init__(self, graph: Graph, backward: bool, vectorise: bool = True) -> None:
        super().__init__(graph, backward)
        try:
            self.plan = _Plan(graph, vectorise)
        except _Cycle:
            self.plan = _Plan(graph, vectorise=False)
        self.layout = self.plan.layout
        self.position = self.plan.position
        self.constants: list[str] = []
        self.emitted: set[int] = set()
        self.first_user: dict[int, list[Stack]] = {}
        self.full: dict[int, list[Operand]] = {}
        self._name_stacks()

    def _name_stacks(self) -> None:
        counts: dict[str, int] = {}

        def number(base: str) -> str:
            counts[base] = counts.get(base, 0) + 1
            return self.names.new(f"{base}{counts[base]}")

        for s in self.plan.stacks:
            if s.kind == "layer":
                k = counts.get("z", 0) + 1
                counts["z"] = k
                s.name = self.names.new(f"z{k}")
                s.W.name = self.names.new(f"W{k}")  # type: ignore[union-attr]
                s.b.name = self.names.new(f"b{k}")  # type: ignore[union-attr]
        for s in self.plan.stacks:
            if s.name:
                continue
            if s.kind == "map":
                s.name = number(_op_name(s.op))  # type: ignore[arg-type]
            elif s.kind == "inputs":
                s.name = self._input_stack_name(s, number)
            elif s.kind == "params":
                s.name = number("p")
            elif s.kind == "consts":
                s.name = number("c")
            else:
                s.name = number("stack")

    def _input_stack_name(self, s: Stack, number: Any) -> str:
        node = self.nodes[s.nodes[0]]
        size = self.graph.args[node.arg][1]
        if size is not None and [self.nodes[i].item for i in s.nodes] == list(range(size)):
            return self.args[node.arg]  # the whole argument, as given: shape (n, B)
        return number(self.args[node.arg] + "_rows")

    # --- values ---------------------------------------------------------------------

    def leaf(self, i: int) -> Operand:
        node = self.nodes[i]
        if node.kind == "const":
            return node.value
        if node.kind == "param":
            return Expr(f"theta[{self.position[node.param]}]")
        name = self.args[node.arg]
        return Expr.name(name) if node.item is None else Expr(f"{name}[{node.item}]", names=(name,))

    def read(self, i: int) -> Operand:
        """The symbol for node i's value wherever it lives: a variable, a row, theta, an argument."""
        if i in self.value:
            return self.value[i]
        if i in self.plan.home:
            s, r = self.plan.home[i]
            return Expr(f"{s.name}[{r}]", names=(s.name,))
        return self.leaf(i)

    def operand(self, kind: str, item: Any, varying: bool) -> Operand:
        if kind == "stack":
            self.ensure(item)
            if varying and not item.varying:  # one number per row, the same for every sample
                return Expr(f"{item.name}[:, None]", names=(item.name,))
            return Expr.name(item.name)
        if kind == "node":
            return self.read(item)
        return item

    def ensure(self, s: Stack) -> None:
        """Write a gathered array's line just before its first use."""
        if id(s) in self.emitted or s.computed:
            return
        self.emitted.add(id(s))
        self.first_user.setdefault(id(self.current), []).append(s)
        nodes = self.nodes
        if s.kind == "params":
            self.w.line(f"{s.name} = {self._theta_slice(s)}", self._params_comment(s))
        elif s.kind == "consts":
            self.w.line(f"{s.name} = np.array([{', '.join(const(nodes[i].value) for i in s.nodes)}])", "constants")
        elif s.kind == "inputs":
            arg = self.args[nodes[s.nodes[0]].arg]
            if s.name == arg:
                return
            items = [nodes[i].item for i in s.nodes]
            if items == [None]:
                self.w.line(f"{s.name} = {arg}[None, :]", f"{arg} as a one-row array")
            else:
                self.w.line(f"{s.name} = {arg}[{items!r}]", f"rows {items} of {arg}")
        else:
            rows = ", ".join(_text_of(self.read(i)) for i in s.nodes)
            self.w.line(f"{s.name} = np.stack([{rows}])", f"{len(s.nodes)} values as the rows of one array")

    def _theta_index(self, s: Stack) -> str:
        positions = [self.position[self.nodes[i].param] for i in s.nodes]
        start = positions[0]
        if positions == list(range(start, start + len(positions))):
            return f"{start}:{start + len(positions)}"
        name = self.names.new("index")
        rows = ",\n".join("    " + line for line in _wrap(list(map(str, positions))))
        why = f"# theta positions, in the order {s.name} gathers them"
        self.constants.append(f"{name} = np.array([  {why}\n{rows},\n])")
        return name

    def _theta_slice(self, s: Stack) -> str:
        code = f"theta[{self._theta_index(s)}]"
        s.derived["index"] = code[6:-1]
        return f"{code}.reshape{s.shape}" if len(s.shape) == 2 else code

    def _params_comment(self, s: Stack) -> str:
        if len(s.shape) == 2:
            return f"weights: {_count(s.shape[0], 'neuron')} × {_count(s.shape[1], 'input')}"
        if s.name.startswith("b"):
            return f"biases: {_count(len(s.nodes), 'neuron')}"
        return _count(len(s.nodes), "parameter")

    # --- gradients ------------------------------------------------------------------

    def constant_share(self, share: Operand, g: Expr) -> Operand:
        """A constant share becomes an array shaped like the gradient it stands beside.

        The zero a ``where`` gives the side not taken must still reach that side's inputs
        (0 times an infinite local derivative is nan there, as in eager code).
        """
        if isinstance(share, Expr):
            return share
        return Expr(f"np.full(np.shape({g.text}), {const(share)})", names=g.names)

    def give(self, j: int, share: Operand, reduce: bool, comment: str) -> None:
        node = self.nodes[j]
        if not node.needs_grad:
            return
        if reduce and not node.varying:  # a shared node: its edges from all B samples add up
            share = Expr(f"np.sum({_text_of(share)})", names=_names_of(share))
            comment += "; Σ over the batch"
        if node.kind == "param":
            self.w.line(f"gtheta[{self.position[node.param]}] += {_text_of(share)}", comment)
        elif j in self.plan.home:
            s, r = self.plan.home[j]
            self.accumulate(("row", id(s), r), f"{s.name}_{r}", share, comment)
        else:
            self.accumulate(j, _text_of(self.value[j]), share, comment)

    def give_stack(self, s: Stack, share: Operand) -> None:
        self.full.setdefault(id(s), []).append(share)

    def stack_grad(self, s: Stack) -> Expr | None:
        """The gradient of a whole stack: shares of the whole array plus shares of single rows."""
        full = self.full.get(id(s), [])
        rows = {r: self.grad[("row", id(s), r)] for r in range(len(s.nodes)) if ("row", id(s), r) in self.grad}
        if not full and not rows:
            return None
        name = self.grad_name(("stack", id(s)), s.name)
        if not rows:
            if len(full) == 1 and isinstance(full[0], Expr) and full[0].kind == "name":
                return full[0]
            self.w.line(f"{name} = {' + '.join(_text_of(f) for f in full)}", f"∂L/∂{s.name}")
        elif full:
            total = " + ".join(_text_of(f) for f in full)
            self.w.line(f"{name} = np.array({total})" if len(full) == 1 else f"{name} = {total}", f"∂L/∂{s.name}")
            for r, g in rows.items():
                self.w.line(f"{name}[{r}] += {g.text}", f"… and row {r}, used on its own")
        elif len(rows) == len(s.nodes):
            self.w.line(f"{name} = np.stack([{', '.join(rows[r].text for r in range(len(s.nodes)))}])", f"∂L/∂{s.name}")
        else:
            self.w.line(f"{name} = np.zeros_like({s.name})", f"∂L/∂{s.name}: rows used on their own")
            for r, g in rows.items():
                self.w.line(f"{name}[{r}] = {g.text}")
        return Expr.name(name)

    # --- units ----------------------------------------------------------------------

    def forward_unit(self, u: _Unit) -> None:
        self.current = u
        if u.kind == "op":
            self.emit_op(u.item, [self.read(j) for j in self.nodes[u.item].inputs])
        elif u.kind == "chain":
            self.forward_sum(u.item)
        elif u.item.kind == "layer":
            self.forward_layer(u.item)
        else:
            self.forward_map(u.item)

    def backward_unit(self, u: _Unit) -> None:
        if u.kind == "op":
            node = self.nodes[u.item]
            if node.needs_grad:
                self.backward_op(u.item, [self.read(j) for j in node.inputs], node.varying)
        elif u.kind == "chain":
            self.backward_sum(u.item)
        elif u.item.kind == "layer":
            self.backward_layer(u.item)
        else:
            self.backward_map(u.item)
        for s in reversed(self.first_user.get(id(u), [])):
            self.backward_gather(s)

    def forward_map(self, s: Stack) -> None:
        args = [self.operand(kind, item, s.varying) for kind, item in s.operands]
        result = s.op.forward(NUMPY, *args)  # type: ignore[union-attr]
        math = _op_math(s.op)[0]  # type: ignore[arg-type]
        self.w.line(f"{s.name} = {_text_of(result)}", f"{len(s.nodes)} × {s.op}  {math}")

    def backward_map(self, s: Stack) -> None:
        if not self.nodes[s.nodes[0]].needs_grad:
            return
        g = self.stack_grad(s)
        if g is None:
            return
        args = [self.operand(kind, item, s.varying) for kind, item in s.operands]
        shares = s.op.backward(NUMPY, g, Expr.name(s.name), *args)  # type: ignore[union-attr]
        shares = [self.constant_share(share, g) for share in shares]
        comment = f"{len(s.nodes)} × {s.op}  {_op_math(s.op)[1]}"  # type: ignore[arg-type]
        for (kind, item), share in zip(s.operands, shares):
            if kind == "stack" and _stack_needs_grad(item, self.nodes):
                if s.varying and not item.varying:
                    share = Expr(f"np.sum({_text_of(share)}, axis=-1)", names=_names_of(share))
                self.give_stack(item, share)
            elif kind == "node":  # one node shared by every row: its edges from all rows add up
                axis = ", axis=0" if s.varying and self.nodes[item].varying else ""
                total = Expr(f"np.sum({_text_of(share)}{axis})", names=_names_of(share))
                self.give(item, total, False, comment + "  (Σ over the rows)")

    def _layer_names(self, s: Stack, g: str = "g") -> dict[str, str]:
        return {"W": s.W.name, "x": s.x.name, "b": s.b.name, "g": g}  # type: ignore[union-attr]

    def forward_layer(self, s: Stack) -> None:
        self.ensure(s.W)  # type: ignore[arg-type]
        self.ensure(s.b)  # type: ignore[arg-type]
        self.ensure(s.x)  # type: ignore[arg-type]
        names = self._layer_names(s)
        out = s.derived["axes"]["g"]
        parts, maths = [], []
        for term in s.derived["forward"]:
            code, math = contract(_rename(term, names), out)
            parts.append(code)
            maths.append(math)
        k, n = s.W.shape  # type: ignore[union-attr]
        neurons, inputs = _count(k, "fused neuron"), _count(n, "input")
        self.w.comment(f"layer: {neurons} ('dot') sharing {inputs}, {s.x.name}")  # type: ignore[union-attr]
        self.w.line(f"{s.name} = {' + '.join(parts)}", f"{s.name}[{','.join(out)}] = {' + '.join(maths)}")

    def backward_layer(self, s: Stack) -> None:
        g = self.stack_grad(s)
        if g is None:
            return
        names = self._layer_names(s, g.text)
        axes = s.derived["axes"]
        self.w.comment(f"layer {s.name}: the dot rule gives each edge its share, g·xⱼ to wᵢⱼ and g·wᵢⱼ to xⱼ;")
        self.w.comment("each array adds up the shares of all its edges (Σ over the axes it lacks):")
        for part in ("W", "b", "x"):
            target = {"W": s.W, "b": s.b, "x": s.x}[part]
            if not _stack_needs_grad(target, self.nodes):  # type: ignore[arg-type]
                continue
            code, math = contract(_rename(s.derived[part], names), axes[part])
            why = {
                "W": "each weight is used by every sample",
                "b": "∂/∂b = 1, for every sample",
                "x": "each input feeds every neuron",
            }[part]
            name = self.grad_name(("layer", id(s), part), target.name)  # type: ignore[union-attr]
            self.w.line(f"{name} = {code}", f"∂L/∂{target.name}[{','.join(axes[part])}] = {math}: {why}")  # type: ignore[union-attr]
            self.give_stack(target, Expr.name(name))  # type: ignore[arg-type]

    def forward_sum(self, chain: _Chain) -> None:
        end = chain.links[-1]
        self.ensure(chain.elements)
        terms = Expr.name(chain.elements.name)
        init = self.read(chain.init)
        result = chain.op.forward(NUMPY, Expr.name("acc"), terms)
        f_terms = _text_of(result.args[1])  # type: ignore[union-attr]
        total = Expr(f"np.sum({f_terms}, axis=0)", names=_names_of(result.args[1]))  # type: ignore[union-attr]
        combined = init + total if result.kind == "+" else init - total  # type: ignore[union-attr]
        name = self.names.new(f"v{end}")
        self.value[end] = Expr.name(name)
        n = len(chain.links)
        op = chain.op
        self.w.line(f"{name} = {combined.text}", f"{op} of {n} terms: acc {op} v₁ {op} … {op} v{n} as one sum")

    def backward_sum(self, chain: _Chain) -> None:
        end = chain.links[-1]
        g = self.grad.get(end)
        if g is None:
            return
        varying = self.nodes[end].varying
        terms = Expr.name(chain.elements.name)
        to_acc, to_term = chain.op.backward(NUMPY, g, self.value[end], self.read(chain.init), terms)
        comment = f"sum  {_op_math(chain.op)[1]}, the same for every term"
        self.give(chain.init, to_acc, varying, comment)
        if _stack_needs_grad(chain.elements, self.nodes):
            share = _text_of(to_term)
            if varying and not chain.elements.varying:
                share = f"np.sum({share})"
            name = self.grad_name(("terms", id(chain)), chain.elements.name)
            self.w.line(f"{name} = np.broadcast_to({share}, {chain.elements.name}.shape)", comment)
            self.give_stack(chain.elements, Expr.name(name))

    def backward_gather(self, s: Stack) -> None:
        """Send a gathered array's gradient back to where its rows came from."""
        if s.kind not in ("params", "pack") or not _stack_needs_grad(s, self.nodes):
            return
        g = self.stack_grad(s)
        if g is None:
            return
        if s.kind == "pack":
            for r, i in enumerate(s.nodes):
                self.give(i, Expr(f"{g.text}[{r}]", names=g.names), False, f"row {r} of {s.name}")
            return
        index = s.derived["index"]
        flat = f"{g.text}.ravel()" if len(s.shape) == 2 else g.text
        positions = [self.position[self.nodes[i].param] for i in s.nodes]
        if len(set(positions)) == len(positions):
            self.w.line(f"gtheta[{index}] += {flat}", f"into the parameters of {s.name}")
        else:
            self.w.line(f"np.add.at(gtheta, {index}, {flat})", f"into the parameters of {s.name} (some repeat)")

    # --- the program ----------------------------------------------------------------

    def source(self) -> str:
        graph, w = self.graph, self.w
        name = "forward_backward" if self.backward else "forward"
        w.line(f"def {name}(theta, {', '.join(self.args)}{', seed' if self.backward else ''}):")
        w.indent()
        w.line('"""' + self._docstring())
        w.line('"""')
        w.line('with np.errstate(all="ignore"):', "IEEE results: x/0 is inf, 0/0 is nan, as in FloatMath")
        w.indent()
        for u in self.plan.units:
            self.forward_unit(u)
        outs = [_text_of(self.read(i)) for i in graph.outputs]
        if not self.backward:
            w.line(f"return {', '.join(outs)}{',' if len(outs) == 1 else ''}")
            return self._with_constants(w.source())
        w.comment("backward: the chain rule, from the output back to the inputs")
        w.line("gtheta = np.zeros_like(theta)")
        self.give(graph.outputs[0], Expr.name("seed"), True, "seed: ∂loss/∂output, one per sample")
        for u in reversed(self.plan.units):
            self.backward_unit(u)
        if len(outs) == 1:
            w.line(f"return {outs[0]}, gtheta")
        else:
            w.line(f"return ({', '.join(outs)}), gtheta", "the loss first, then the other outputs")
        return self._with_constants(w.source())

    def _with_constants(self, source: str) -> str:
        return "\n".join(self.constants) + ("\n\n" if self.constants else "") + source

    def _docstring(self) -> str:
        shapes = []
        for name, (_, size) in zip(self.args, self.graph.args):
            shapes.append(f"{name}: shape (B,)" if size is None else f"{name}: shape ({size}, B)")
        where = "; ".join(shapes)
        if self.backward:
            return (
                "Every sample's output, and the gradient of Σ seed·output for each parameter.\n\n"
                f"        theta: the values of {_count(self.graph.n_params, 'parameter')}; {where} (B samples);\n"
                "        seed: ∂loss/∂output for each sample (1/B each for a mean)."
            )
        return f"Every sample's outputs.  theta: the values of {_count(self.graph.n_params, 'parameter')}; {where}."


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"


def _text_of(x: Operand) -> str:
    return x.text if isinstance(x, Expr) else const(x)


def _names_of(x: Operand) -> frozenset[str]:
    return x.names if isinstance(x, Expr) else frozenset()


def _stack_needs_grad(s: Stack, nodes: list[Node]) -> bool:
    return any(nodes[i].needs_grad for i in s.nodes)


def numpy_source(graph: Graph, backward: bool = True, vectorise: bool = True) -> tuple[str, list[int]]:
    """A NumPy program for the graph over a batch, and the order it wants the parameters in.

    ``forward_backward(theta, *arrays, seed)`` returns ``(output, gtheta)``: every
    sample's (first) output, and the gradient of ``Σ seed·output`` for each parameter
    (with aux outputs, the tuple of every output comes first); ``forward(theta, *arrays)``
    returns the outputs. ``theta[n]`` holds parameter ``layout[n]``: each layer's
    weights come as one contiguous block. ``vectorise=False`` writes one line per
    node, with no layers, maps or sums.
    """
    emitter = _NumpyEmitter(graph, backward, vectorise)
    return emitter.source(), emitter.layout
