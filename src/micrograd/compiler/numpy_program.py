"""The NumPy program for a traced graph: arrays over the whole batch at once.

Each node is an array of B numbers, one per sample, except the nodes that do not depend
on the sample (parameters and what is computed from them alone): those are computed
once, and the gradient flowing into them from the B samples is summed. Groups of nodes
that do the same thing are computed together, as :mod:`micrograd.compiler.plan` decides.

Summation order inside a matrix product or ``np.sum`` differs from the scalar graph's
left-to-right order, so the NumPy program agrees with eager micrograd to rounding
(~1e-15 relative), not to the last bit.
"""

from __future__ import annotations

from typing import Any

from micrograd.compiler.codegen import NUMPY, Expr, const, contract
from micrograd.compiler.emit import Emitter, Operand, names_of, op_name, plural, text_of, wrap
from micrograd.compiler.graph import Graph
from micrograd.compiler.plan import Plan, PlanCycle, PlanUnit, RowGroup, SumChain, group_needs_grad, rename

__all__ = ["numpy_source"]


class _NumpyEmitter(Emitter):
    math = NUMPY

    def __init__(self, graph: Graph, backward: bool, vectorise: bool = True) -> None:
        super().__init__(graph, backward)
        try:
            self.plan = Plan(graph, vectorise)
        except PlanCycle:
            self.plan = Plan(graph, vectorise=False)
        self.layout = self.plan.layout
        self.position = self.plan.position
        self.constants: list[str] = []
        self.emitted: set[int] = set()
        self.first_user: dict[int, list[RowGroup]] = {}
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
                s.layer_parts["W"].name = self.names.new(f"W{k}")
                s.layer_parts["b"].name = self.names.new(f"b{k}")
        for s in self.plan.stacks:
            if s.name:
                continue
            if s.kind == "map":
                s.name = number(op_name(s.operation))
            elif s.kind == "inputs":
                s.name = self._input_stack_name(s, number)
            elif s.kind == "params":
                s.name = number("p")
            elif s.kind == "consts":
                s.name = number("c")
            else:
                s.name = number("stack")

    def _input_stack_name(self, s: RowGroup, number: Any) -> str:
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

    def ensure(self, s: RowGroup) -> None:
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
            rows = ", ".join(text_of(self.read(i)) for i in s.nodes)
            self.w.line(f"{s.name} = np.stack([{rows}])", f"{len(s.nodes)} values as the rows of one array")

    def _theta_index(self, s: RowGroup) -> str:
        positions = [self.position[self.nodes[i].param] for i in s.nodes]
        start = positions[0]
        if positions == list(range(start, start + len(positions))):
            return f"{start}:{start + len(positions)}"
        name = self.names.new("index")
        rows = ",\n".join("    " + line for line in wrap(list(map(str, positions))))
        why = f"# theta positions, in the order {s.name} gathers them"
        self.constants.append(f"{name} = np.array([  {why}\n{rows},\n])")
        return name

    def _theta_slice(self, s: RowGroup) -> str:
        code = f"theta[{self._theta_index(s)}]"
        s.derived["index"] = code[6:-1]
        return f"{code}.reshape{s.shape}" if len(s.shape) == 2 else code

    def _params_comment(self, s: RowGroup) -> str:
        if len(s.shape) == 2:
            return f"weights: {plural(s.shape[0], 'neuron')} × {plural(s.shape[1], 'input')}"
        if s.name.startswith("b"):
            return f"biases: {plural(len(s.nodes), 'neuron')}"
        return plural(len(s.nodes), "parameter")

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
            share = Expr(f"np.sum({text_of(share)})", names=names_of(share))
            comment += "; Σ over the batch"
        if node.kind == "param":
            self.w.line(f"gtheta[{self.position[node.param]}] += {text_of(share)}", comment)
        elif j in self.plan.home:
            s, r = self.plan.home[j]
            self.accumulate(("row", id(s), r), f"{s.name}_{r}", share, comment)
        else:
            self.accumulate(j, text_of(self.value[j]), share, comment)

    def give_stack(self, s: RowGroup, share: Operand) -> None:
        self.full.setdefault(id(s), []).append(share)

    def stack_grad(self, s: RowGroup) -> Expr | None:
        """The gradient of a whole stack: shares of the whole array plus shares of single rows."""
        full = self.full.get(id(s), [])
        rows = {r: self.grad[("row", id(s), r)] for r in range(len(s.nodes)) if ("row", id(s), r) in self.grad}
        if not full and not rows:
            return None
        name = self.grad_name(("stack", id(s)), s.name)
        if not rows:
            if len(full) == 1 and isinstance(full[0], Expr) and full[0].kind == "name":
                return full[0]
            self.w.line(f"{name} = {' + '.join(text_of(f) for f in full)}", f"∂L/∂{s.name}")
        elif full:
            total = " + ".join(text_of(f) for f in full)
            self.w.line(f"{name} = np.array({total})" if len(full) == 1 else f"{name} = {total}", f"∂L/∂{s.name}")
            for r, g in rows.items():
                self.w.line(f"{name}[{r}] += {g.text}", f"… and row {r}, used on its own")
        elif len(rows) == len(s.nodes) == 1:
            self.w.line(f"{name} = {rows[0].text}[None]", f"∂L/∂{s.name}: its one row")
        elif len(rows) == len(s.nodes):
            self.w.line(f"{name} = np.stack([{', '.join(rows[r].text for r in range(len(s.nodes)))}])", f"∂L/∂{s.name}")
        else:
            self.w.line(f"{name} = np.zeros_like({s.name})", f"∂L/∂{s.name}: rows used on their own")
            for r, g in rows.items():
                self.w.line(f"{name}[{r}] = {g.text}")
        return Expr.name(name)

    # --- units ----------------------------------------------------------------------

    def forward_unit(self, u: PlanUnit) -> None:
        self.current = u
        if u.kind == "op":
            self.emit_op(u.item, [self.read(j) for j in self.nodes[u.item].inputs])
        elif u.kind == "chain":
            self.forward_sum(u.item)
        elif u.item.kind == "layer":
            self.forward_layer(u.item)
        else:
            self.forward_map(u.item)

    def backward_unit(self, u: PlanUnit) -> None:
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

    def forward_map(self, s: RowGroup) -> None:
        args = [self.operand(kind, item, s.varying) for kind, item in s.operands]
        result = s.operation.forward(NUMPY, *args)
        s.derived["at_least_zero"] = isinstance(result, Expr) and result.at_least_zero
        math = s.operation.formula
        self.w.line(f"{s.name} = {text_of(result)}", f"{len(s.nodes)} × {s.op}  {math}")

    def backward_map(self, s: RowGroup) -> None:
        if not self.nodes[s.nodes[0]].needs_grad:
            return
        g = self.stack_grad(s)
        if g is None:
            return
        args = [self.operand(kind, item, s.varying) for kind, item in s.operands]
        out = Expr.name(s.name, s.derived.get("at_least_zero", False))
        rule = s.operation.backward(NUMPY, g, out, *args)
        shares = [self.constant_share(share, g) for share in rule]
        comment = f"{len(s.nodes)} × {s.op}  {s.operation.derivative}"
        for (kind, item), share in zip(s.operands, shares):
            if kind == "stack" and group_needs_grad(item, self.nodes):
                if s.varying and not item.varying:
                    share = Expr(f"np.sum({text_of(share)}, axis=-1)", names=names_of(share))
                self.give_stack(item, share)
            elif kind == "node":  # one node shared by every row: its edges from all rows add up
                axis = ", axis=0" if s.varying and self.nodes[item].varying else ""
                total = Expr(f"np.sum({text_of(share)}{axis})", names=names_of(share))
                self.give(item, total, False, comment + "  (Σ over the rows)")

    def _layer_names(self, s: RowGroup, g: str = "g") -> dict[str, str]:
        return {**{part: group.name for part, group in s.layer_parts.items()}, "g": g}

    def forward_layer(self, s: RowGroup) -> None:
        parts_of = s.layer_parts
        for part in ("W", "b", "x"):
            self.ensure(parts_of[part])
        names = self._layer_names(s)
        out = s.derived["axes"]["g"]
        parts, maths = [], []
        for term in s.derived["forward"]:
            code, math = contract(rename(term, names), out)
            parts.append(code)
            maths.append(math)
        k, n = parts_of["W"].shape
        neurons, inputs = plural(k, "fused neuron"), plural(n, "input")
        self.w.comment(f"layer: {neurons} ('dot') sharing {inputs}, {parts_of['x'].name}")
        self.w.line(f"{s.name} = {' + '.join(parts)}", f"{s.name}[{','.join(out)}] = {' + '.join(maths)}")

    def backward_layer(self, s: RowGroup) -> None:
        g = self.stack_grad(s)
        if g is None:
            return
        names = self._layer_names(s, g.text)
        axes = s.derived["axes"]
        self.w.comment(f"layer {s.name}: the dot rule gives each edge its share, g·xⱼ to wᵢⱼ and g·wᵢⱼ to xⱼ;")
        self.w.comment("each array adds up the shares of all its edges (Σ over the axes it lacks):")
        for part in ("W", "b", "x"):
            target = s.layer_parts[part]
            if not group_needs_grad(target, self.nodes):
                continue
            code, math = contract(rename(s.derived[part], names), axes[part])
            why = {
                "W": "each weight is used by every sample",
                "b": "∂/∂b = 1, for every sample",
                "x": "each input feeds every neuron",
            }[part]
            name = self.grad_name(("layer", id(s), part), target.name)
            self.w.line(f"{name} = {code}", f"∂L/∂{target.name}[{','.join(axes[part])}] = {math}: {why}")
            self.give_stack(target, Expr.name(name))

    def forward_sum(self, chain: SumChain) -> None:
        end = chain.links[-1]
        self.ensure(chain.elements)
        terms = Expr.name(chain.elements.name)
        init = self.read(chain.init)
        result = chain.op.forward(NUMPY, Expr.name("acc"), terms)
        f_terms = text_of(result.args[1])  # type: ignore[union-attr]
        total = Expr(f"np.sum({f_terms}, axis=0)", names=names_of(result.args[1]))  # type: ignore[union-attr]
        combined = init + total if result.kind == "+" else init - total  # type: ignore[union-attr]
        name = self.names.new(f"v{end}")
        self.value[end] = Expr.name(name)
        n = len(chain.links)
        op = chain.op
        self.w.line(f"{name} = {combined.text}", f"{op} of {n} terms: acc {op} v₁ {op} … {op} v{n} as one sum")

    def backward_sum(self, chain: SumChain) -> None:
        end = chain.links[-1]
        g = self.grad.get(end)
        if g is None:
            return
        varying = self.nodes[end].varying
        terms = Expr.name(chain.elements.name)
        to_acc, to_term = chain.op.backward(NUMPY, g, self.value[end], self.read(chain.init), terms)
        comment = f"sum  {chain.op.derivative}, the same for every term"
        self.give(chain.init, to_acc, varying, comment)
        if group_needs_grad(chain.elements, self.nodes):
            share = text_of(to_term)
            if varying and not chain.elements.varying:
                share = f"np.sum({share})"
            name = self.grad_name(("terms", id(chain)), chain.elements.name)
            self.w.line(f"{name} = np.broadcast_to({share}, {chain.elements.name}.shape)", comment)
            self.give_stack(chain.elements, Expr.name(name))

    def backward_gather(self, s: RowGroup) -> None:
        """Send a gathered array's gradient back to where its rows came from."""
        if s.kind not in ("params", "pack") or not group_needs_grad(s, self.nodes):
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
        outs = [text_of(self.read(i)) for i in graph.outputs]
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
                f"        theta: the values of {plural(self.graph.n_params, 'parameter')}; {where} (B samples);\n"
                "        seed: ∂loss/∂output for each sample (1/B each for a mean)."
            )
        return f"Every sample's outputs.  theta: the values of {plural(self.graph.n_params, 'parameter')}; {where}."


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
