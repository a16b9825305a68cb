"""The pure-Python program for a traced graph: a loop over the samples, one line per operation.

It runs the same float operations as eager micrograd for each sample.
"""

from __future__ import annotations

from micrograd.compiler.codegen import PYTHON, Expr, Writer, const
from micrograd.compiler.emit import Emitter, Operand, identifier, plural, text_of, wrap
from micrograd.compiler.graph import Graph

__all__ = ["python_source"]


class _PythonEmitter(Emitter):
    math = PYTHON

    def __init__(self, graph: Graph, backward: bool) -> None:
        super().__init__(graph, backward)
        labels = {n.param: n.label for n in graph.nodes if n.kind == "param"}
        self.params = [self.names.new(identifier(labels.get(k, "")) or f"p{k}") for k in range(graph.n_params)]
        self.accumulators: set[int] = set()

    def give(self, j: int, share: Operand, reduce: bool, comment: str) -> None:
        node = self.nodes[j]
        if not node.needs_grad:
            return
        if j in self.accumulators:  # summed over the samples: initialised to 0.0 before the loop
            text = share.text if isinstance(share, Expr) else const(share)
            self.w.line(f"{self.grad_names[j]} += {text}", comment)
            return
        self.accumulate(j, text_of(self.value[j]), share, comment)

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
        lines = wrap(grads)
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
                f"    theta: the values of {plural(self.graph.n_params, 'parameter')}; "
                f"{args}: the batch (one item per sample);\n"
                f"    seed: ∂loss/∂output for one sample (1/B for a mean)."
            )
        return f"The outputs for each sample of the batch {args}; theta: the parameters' values."

    def _start_accumulators(self) -> None:
        """Gradients summed over the samples start at 0.0: parameters and shared nodes used per sample."""
        nodes, outputs = self.nodes, set(self.graph.outputs)
        for i, node in enumerate(nodes):
            shared_input = not node.varying and node.needs_grad
            used_per_sample = any(nodes[u].varying for u in node.users) or i in outputs
            if node.kind == "param" or (shared_input and node.kind == "op" and used_per_sample):
                self.accumulators.add(i)
                base = self.params[node.param] if node.kind == "param" else f"v{i}"
                self.grad_names[i] = self.names.new(f"g_{base}")
                self.grad[i] = Expr.name(self.grad_names[i])
        names = [self.grad_names[i] for i in sorted(self.accumulators)]
        for line in wrap(names, width=88):
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
    lines = wrap(names)
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
