"""Planning the NumPy program: which scalar nodes become rows of one array.

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
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from micrograd.compiler.codegen import MULTILINEAR, NUMPY, Expr, Factor, Product, Sum, stack
from micrograd.compiler.emit import names_of
from micrograd.compiler.graph import Graph, Node
from micrograd.ops import ADD, DOT, SUB, Op

MIN_SUM = 4
"""Shortest ``acc + v₁ + … + vₙ`` chain written as one ``np.sum``."""


@dataclass(eq=False)
class RowGroup:
    """Several nodes as the rows of one array.

    ``layer`` and ``map`` compute their rows; ``params``, ``inputs``, ``consts`` and
    ``pack`` gather nodes that are computed (or given) elsewhere.
    """

    kind: str
    nodes: list[int]
    varying: bool
    op: Op | None = None
    operands: list[tuple[str, Any]] = field(default_factory=list)
    x: RowGroup | None = None
    W: RowGroup | None = None
    b: RowGroup | None = None
    shape: tuple[int, ...] = ()
    name: str = ""
    derived: dict[str, Any] = field(default_factory=dict)

    @property
    def layer_parts(self) -> dict[str, RowGroup]:
        """A layer's weights ``W``, biases ``b`` and shared inputs ``x``."""
        if self.W is None or self.b is None or self.x is None:
            raise ValueError(f"a {self.kind!r} group is not a layer")
        return {"W": self.W, "b": self.b, "x": self.x}

    @property
    def operation(self) -> Op:
        """The operation of a ``'layer'`` or ``'map'`` group."""
        if self.op is None:
            raise ValueError(f"a {self.kind!r} group has no operation")
        return self.op

    @property
    def computed(self) -> bool:
        return self.kind in ("layer", "map")


@dataclass(eq=False)
class SumChain:
    """acc = init ± v₁ ± v₂ … ± vₙ written as one sum over the stack of the v's."""

    links: list[int]
    init: int
    elements: RowGroup
    op: Op


@dataclass(eq=False)
class PlanUnit:
    kind: str  # 'op', 'stack' or 'chain'
    key: int
    item: Any


class Plan:
    """Which nodes are computed together, and in which order the program computes them."""

    def __init__(self, graph: Graph, vectorise: bool = True) -> None:
        self.graph = graph
        self.nodes = graph.nodes
        self.outputs = set(graph.outputs)
        self.home: dict[int, tuple[RowGroup, int]] = {}
        self.taken: set[int] = set()
        self.stacks: list[RowGroup] = []
        self.chains: list[SumChain] = []
        self.gathers: dict[tuple[str, tuple[int, ...]], RowGroup] = {}
        self.layout = list(range(graph.n_params))
        if vectorise:
            self._layers()
            self.layout = self._layout()
        self.position = {k: n for n, k in enumerate(self.layout)}
        if vectorise:
            self._sums()
        self.units = self._order()

    # --- finding groups -------------------------------------------------------------

    def _add(self, s: RowGroup) -> RowGroup:
        if s.computed:
            for r, i in enumerate(s.nodes):
                self.home[i] = (s, r)
                self.taken.add(i)
        self.stacks.append(s)
        return s

    def gather(self, items: list[int], pack: bool) -> RowGroup | None:
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
            s = RowGroup("params", list(items), False, shape=(len(items),))
        elif kinds == {"const"}:
            s = RowGroup("consts", list(items), False)
        elif kinds == {"input"} and len({nodes[i].arg for i in items}) == 1 and self._rows_of_input(items):
            s = RowGroup("inputs", list(items), True)
        elif pack and len(varying) == 1 and all(i not in self.taken or i in self.home for i in items):
            s = RowGroup("pack", list(items), varying.pop())
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
            W = RowGroup("params", [j for i in rows for j in nodes[i].inputs[:n]], False, shape=(len(rows), n))
            b = RowGroup("params", [nodes[i].inputs[-1] for i in rows], False, shape=(len(rows),))
            layer = RowGroup("layer", rows, xs.varying, op=DOT, x=xs, W=W, b=b)
            if _derive_layer(layer, n):
                self.stacks.extend((W, b))
                self.gathers.setdefault((str(["param"]), tuple(b.nodes)), b)  # a map may reuse the biases
                self._grow(self._add(layer))

    def _grow(self, s: RowGroup) -> None:
        """The same operation on every row of a group (a layer's activations) is one array op."""
        nodes = self.nodes
        if len(s.nodes) < 2:
            return
        first = s.nodes[0]
        for c in dict.fromkeys(nodes[first].users):
            head = nodes[c]
            if c in self.taken or head.op is DOT or len(head.inputs) > 2 or c in self.outputs:
                continue
            p = head.inputs.index(first)
            rows = [c]
            in_rows = {c}
            for r in s.nodes[1:]:
                match = next(
                    (
                        u
                        for u in dict.fromkeys(nodes[r].users)
                        if u not in self.taken
                        and u not in in_rows
                        and u not in self.outputs
                        and same_op(nodes[u].op, head.op)
                        and len(nodes[u].inputs) == len(head.inputs)
                        and nodes[u].inputs[p] == r
                    ),
                    None,
                )
                if match is None:
                    break
                rows.append(match)
                in_rows.add(match)
            if len(rows) < len(s.nodes):
                continue
            operands = self._operands(rows, {p: s}, pack=False)
            if operands is None:
                continue
            grown = self._add(RowGroup("map", rows, _any_varying(operands, nodes), op=head.op, operands=operands))
            self._grow(grown)

    def _operands(self, rows: list[int], known: dict[int, RowGroup], pack: bool, depth: int = 0) -> list | None:
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

    def _stackable(self, items: list[int], depth: int = 0) -> RowGroup | None:
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
            if i in self.taken or i in self.outputs or not same_op(n.op, head.op):
                return None
            if len(n.inputs) != len(head.inputs):
                return None
        operands = self._operands(items, {}, pack=False, depth=depth)
        if operands is None:
            return None
        return self._add(RowGroup("map", list(items), _any_varying(operands, nodes), op=head.op, operands=operands))

    def _sums(self) -> None:
        """Chains acc ± v₁ ± v₂ … (Python's ``sum()``) over alike terms: one ``np.sum``."""
        nodes, outputs = self.nodes, self.outputs
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
            if len(links) < MIN_SUM or not _sum_rule_is_uniform(node.operation):
                continue
            terms = [nodes[i].inputs[1] for i in links]
            if not set(links).isdisjoint(terms):
                continue
            alike = next((k for k, t in enumerate(terms) if not _alike(nodes[t], nodes[terms[0]])), len(terms))
            for count in dict.fromkeys((len(terms), alike)):  # the whole chain, or its alike start: sum(…) + y
                if count < MIN_SUM:
                    continue
                # a sum's order is free: follow theta, so that the parameters' p² is one slice
                elements = self._stackable(sorted(terms[:count], key=self._theta_order))
                if elements is not None:
                    chain = SumChain(links[:count], nodes[links[0]].inputs[0], elements, node.operation)
                    self.chains.append(chain)
                    self.taken.update(links[:count])
                    break

    # --- order ----------------------------------------------------------------------

    def _order(self) -> list[PlanUnit]:
        """Topological order of the units (an op, a computed stack, a sum), graph order first."""
        nodes = self.nodes
        units: list[PlanUnit] = []
        self._unit_of: dict[int, PlanUnit] = {}
        for s in self.stacks:
            if s.computed:
                unit = PlanUnit("stack", min(s.nodes), s)
                units.append(unit)
                for i in s.nodes:
                    self._unit_of[i] = unit
        for chain in self.chains:
            unit = PlanUnit("chain", chain.links[-1], chain)
            units.append(unit)
            self._unit_of[chain.links[-1]] = unit
        for i, node in enumerate(nodes):
            if node.kind == "op" and i not in self.taken:
                unit = PlanUnit("op", i, i)
                units.append(unit)
                self._unit_of[i] = unit
        deps: dict[int, set[int]] = {id(u): set() for u in units}
        users: dict[int, list[PlanUnit]] = {id(u): [] for u in units}
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
            raise PlanCycle
        return order

    def reads(self, u: PlanUnit) -> list[int]:
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

    def _stack_reads(self, s: RowGroup) -> list[int]:
        return list(s.nodes) if s.kind in ("pack", "layer", "map") else []


class PlanCycle(Exception):
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
    if "acc" in names_of(forward.args[1]):
        return False
    to_acc, to_term = op.backward(NUMPY, g, out, acc, term)
    return to_acc is g and isinstance(to_term, Expr) and to_term.names <= {"g", "term"}


def _derive_layer(layer: RowGroup, n: int) -> bool:
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


def rename(product: Product, names: dict[str, str]) -> Product:
    return Product(*(Factor(names[f.array], f.axes, f.fixed) for f in product.factors))


def group_needs_grad(s: RowGroup, nodes: list[Node]) -> bool:
    return any(nodes[i].needs_grad for i in s.nodes)
