// The explorer replays a run recorded by micrograd.explore: it never computes a value or a
// gradient itself, it only shows the recorded numbers one step at a time.
"use strict";

const recording = JSON.parse(document.getElementById("recording").textContent);
const graph = recording.kind === "graph" ? recording : recording.graph;

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function byId(id) {
  return document.getElementById(id);
}

// --- header ---------------------------------------------------------------------------------

byId("title").textContent = recording.title || "micrograd explorer";
if (recording.kind === "training") {
  byId("subtitle").textContent = recording.training.description;
  byId("graph-heading").textContent = "Inside the network: " + graph.title;
} else {
  byId("subtitle").textContent = "Step through the forward pass, then backpropagation, with the numbers micrograd computed.";
}
if (graph.note) {
  byId("graph-note").textContent = graph.note;
  byId("graph-note").hidden = false;
}
if (Object.keys(graph.layout.copies || {}).length) byId("copy-legend").hidden = false;
if (graph.arrays) document.body.classList.add("arrays");  // a wider panel: its equations hold matrices

// --- the graph view ---------------------------------------------------------------------------

const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
const steps = [{ kind: "start" }]
  .concat(graph.forward.map((s) => Object.assign({ kind: "forward" }, s)))
  .concat(graph.backward.map((s) => Object.assign({ kind: "backward" }, s)));
const forwardEnd = graph.forward.length; // steps 1..forwardEnd are forward

function pathData(points) {
  let d = "M" + points[0][0] + "," + points[0][1];
  for (let i = 1; i + 2 < points.length; i += 3) {
    const [a, b, c] = [points[i], points[i + 1], points[i + 2]];
    d += " C" + a[0] + "," + a[1] + " " + b[0] + "," + b[1] + " " + c[0] + "," + c[1];
  }
  return d;
}

function arrowHead(from, to) {
  const dx = to[0] - from[0], dy = to[1] - from[1];
  const length = Math.hypot(dx, dy) || 1;
  const ux = dx / length, uy = dy / length, size = 5;
  const bx = to[0] - ux * 9, by = to[1] - uy * 9;
  return [[to[0], to[1]], [bx - uy * size, by + ux * size], [bx + uy * size, by - ux * size]]
    .map((p) => p[0].toFixed(2) + "," + p[1].toFixed(2)).join(" ");
}

function drawGraph() {
  const layout = graph.layout;
  const margin = 8;
  const parts = [];
  for (const edge of layout.edges) {
    const last = edge.path[edge.path.length - 1];
    const head = edge.end ? '<polygon points="' + arrowHead(last, edge.end) + '"/>' : "";
    parts.push('<g class="edge" data-from="' + edge.from + '" data-to="' + edge.to + '"><path d="' +
      pathData(edge.path) + '"/>' + head + "</g>");
  }
  for (const node of graph.nodes) {
    if (node.parents.length) {
      const b = layout.boxes[node.id + "_op"];
      parts.push('<g class="op" data-op-of="' + node.id + '"><ellipse cx="' + b.x + '" cy="' + b.y + '" rx="' +
        b.w / 2 + '" ry="' + b.h / 2 + '"/><text x="' + b.x + '" y="' + (b.y + 5) + '" text-anchor="middle">' +
        escapeHtml(node.op_text) + "</text></g>");
    }
    // A value used at many depths has a dashed copy beside each later use: the same value, shown alike.
    const copies = (layout.copies || {})[node.id] || [];
    for (const box of [node.id, ...copies]) {
      const b = layout.boxes[box];
      if (graph.arrays) {
        parts.push(tensorBox(node, b, box));
        continue;
      }
      const left = b.x - b.w / 2, top = b.y - b.h / 2, row = b.h / 3;
      parts.push('<g class="value' + (box === node.id ? "" : " copy") + '" data-node="' + node.id + '" data-box="' + box + '">' +
        '<rect class="box" x="' + left + '" y="' + top + '" width="' + b.w + '" height="' + b.h + '" rx="6"/>' +
        '<line class="sep" x1="' + left + '" x2="' + (left + b.w) + '" y1="' + (top + row) + '" y2="' + (top + row) + '"/>' +
        '<text class="name" x="' + b.x + '" y="' + (top + row * 0.72) + '" text-anchor="middle">' + escapeHtml(node.name) + "</text>" +
        '<text class="data" x="' + (left + 8) + '" y="' + (top + row * 1.7) + '"></text>' +
        '<text class="grad" x="' + (left + 8) + '" y="' + (top + row * 2.7) + '"></text></g>');
    }
  }
  const svg = byId("graph");
  svg.setAttribute("viewBox", [-margin, -margin, layout.width + 2 * margin, layout.height + 2 * margin].join(" "));
  svg.innerHTML = parts.join("");
  fitGraph();
}

// A tensor's box: its name and shape, then a table of its data and one of its grad (cells filled by showStep).
// The sizes are the recording's layout's (TABLE in micrograd/apps/explore/layout.py).
const TABLE = { header: 26, row: 20, label: 44, gap: 8, pad: 6 };

function tensorBox(node, b, box) {
  const left = b.x - b.w / 2, top = b.y - b.h / 2;
  const rows = node.data_text.length, cols = node.data_text[0].length;
  const cell = (b.w - TABLE.label - TABLE.pad) / cols;
  const out = ['<g class="value tensor' + (box === node.id ? "" : " copy") + '" data-node="' + node.id + '" data-box="' + box + '">' +
    '<rect class="box" x="' + left + '" y="' + top + '" width="' + b.w + '" height="' + b.h + '" rx="6"/>' +
    '<line class="sep" x1="' + left + '" x2="' + (left + b.w) + '" y1="' + (top + TABLE.header) + '" y2="' + (top + TABLE.header) + '"/>' +
    '<text class="name" x="' + (left + TABLE.pad) + '" y="' + (top + 19) + '">' + escapeHtml(node.name) + "</text>" +
    '<text class="shape" x="' + (left + b.w - TABLE.pad) + '" y="' + (top + 19) + '" text-anchor="end">' + escapeHtml(node.shape_text) + "</text>"];
  for (const [k, kind] of ["data", "grad"].entries()) {
    const y0 = top + TABLE.header + 4 + k * (rows * TABLE.row + TABLE.gap);
    out.push('<text class="label" x="' + (left + TABLE.pad) + '" y="' + (y0 + 15) + '">' + kind + "</text>" +
      '<rect class="grid" x="' + (left + TABLE.label - 3) + '" y="' + y0 + '" width="' + (cols * cell) + '" height="' + (rows * TABLE.row) + '"/>');
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        out.push('<text class="cell ' + kind + '" data-row="' + r + '" data-col="' + c + '" x="' +
          (left + TABLE.label + (c + 1) * cell - TABLE.pad - 3) + '" y="' + (y0 + r * TABLE.row + 15) + '" text-anchor="end"></text>');
      }
    }
  }
  return out.join("") + "</g>";
}

// Put a table's numbers in its cells (exact ones in data-value), or `blank` in each when it has none.
function fillCells(g, kind, exact, text, blank) {
  for (const cell of g.querySelectorAll(".cell." + kind)) {
    const r = Number(cell.dataset.row), c = Number(cell.dataset.col);
    if (exact) {
      cell.textContent = text[r][c];
      cell.dataset.value = String(exact[r][c]);
      const v = Number(exact[r][c]);
      cell.setAttribute("class", "cell " + kind + (kind === "grad" && v > 0 ? " positive" : kind === "grad" && v < 0 ? " negative" : ""));
    } else {
      cell.textContent = blank;
      delete cell.dataset.value;
      cell.setAttribute("class", "cell " + kind + " pending");
    }
  }
}

function zerosLike(node) {
  return { grad: node.data_text.map((row) => row.map(() => 0)), text: node.data_text.map((row) => row.map(() => "0.0000")) };
}

// Fill the box, but never shrink the text below readable: a big graph scrolls instead.
function fitGraph() {
  const width = graph.layout.width + 16, height = graph.layout.height + 16;
  const room = byId("graph-box").clientWidth - 2;
  const scale = Math.min(1.6, Math.max(graph.arrays ? 1 : 0.7, room / width));  // tables need their full size
  const svg = byId("graph");
  svg.style.width = (width * scale).toFixed(1) + "px";
  svg.style.height = (height * scale).toFixed(1) + "px";
}

// Where a drawn element lies in the graph panel's scrolled content, in pixels from its top-left corner,
// with room for a highlighted border (drawn half outside the shape), so none of it shows as a sliver at an edge.
function placed(element, panel) {
  const border = 3;
  const outer = panel.getBoundingClientRect(), r = element.getBoundingClientRect();
  const left = r.left - outer.left - panel.clientLeft + panel.scrollLeft - border;
  const top = r.top - outer.top - panel.clientTop + panel.scrollTop - border;
  return { left, top, right: left + r.width + 2 * border, bottom: top + r.height + 2 * border };
}

function around(a, b) {
  return { left: Math.min(a.left, b.left), top: Math.min(a.top, b.top), right: Math.max(a.right, b.right), bottom: Math.max(a.bottom, b.bottom) };
}

function within(r, view) {
  return r.left >= view.left - 0.5 && r.top >= view.top - 0.5 && r.right <= view.right + 0.5 && r.bottom <= view.bottom + 0.5;
}

function cutOff(r, view) {
  const seen = r.left < view.right && r.right > view.left && r.top < view.bottom && r.bottom > view.top;
  return seen && !within(r, view);
}

// Scroll the graph panel so the step's node is in full view with its inputs: `own` (the active value's box
// and its operation's ellipse) first, then each of `inputs` nearest first while all of them still fit in
// the panel. They are centred where that cuts no other input's box in two, else placed as near the centre
// as cuts the fewest. A view that already shows every box whole stays where it is.
function keepInView(own, inputs) {
  const panel = byId("graph-box");
  const width = panel.clientWidth, height = panel.clientHeight;
  const view = (x, y) => ({ left: x, top: y, right: x + width, bottom: y + height });
  const active = own.map((element) => placed(element, panel)).reduce(around);
  const distance = (r) => Math.hypot((r.left + r.right - active.left - active.right) / 2, (r.top + r.bottom - active.top - active.bottom) / 2);
  const feeding = inputs.map((element) => placed(element, panel)).sort((a, b) => distance(a) - distance(b));
  if ([active, ...feeding].every((r) => within(r, view(panel.scrollLeft, panel.scrollTop)))) return;
  let kept = active;
  const rest = [];
  for (const r of feeding) {
    const both = around(kept, r);
    if (both.right - both.left <= width - 1 && both.bottom - both.top <= height - 1) kept = both;  // a pixel for rounding
    else rest.push(r);
  }
  // Along one axis, the scroll positions to try: `kept` centred, or each other box just in or just out of
  // view, all within the range that keeps `kept` whole (its start, when it is longer than the view) and
  // the graph's extent.
  function positions(start, end, size, extent, others) {
    const lo = Math.max(0, Math.min(extent - size, end - start <= size ? Math.ceil(end - size) : Math.floor(start)));
    const hi = Math.max(lo, Math.min(extent - size, Math.floor(start)));
    const clamp = (x) => Math.round(Math.max(lo, Math.min(hi, x)));
    const centred = clamp((start + end - size) / 2);
    return { centred, all: new Set([centred, ...others.flatMap(([a, b]) => [a, b - size, a - size, b].map(clamp))]) };
  }
  const xs = positions(kept.left, kept.right, width, panel.scrollWidth, rest.map((r) => [r.left, r.right]));
  const ys = positions(kept.top, kept.bottom, height, panel.scrollHeight, rest.map((r) => [r.top, r.bottom]));
  let best = null;
  for (const x of xs.all) {
    for (const y of ys.all) {
      const cuts = rest.filter((r) => cutOff(r, view(x, y))).length;
      const moved = Math.hypot(x - xs.centred, y - ys.centred);
      if (!best || cuts < best.cuts || (cuts === best.cuts && moved < best.moved)) best = { x, y, cuts, moved };
    }
  }
  panel.scrollLeft = best.x;
  panel.scrollTop = best.y;
}

// The boxes the active value's operation takes its inputs from: of a value drawn again beside a later use,
// the copy at this use. None at the seed, which starts the backward pass at the output.
function inputBoxes(active, seed) {
  if (!active || seed) return new Set();
  return new Set(graph.layout.edges.filter((edge) => edge.to === active + "_op").map((edge) => edge.box));
}

// Bring the step's boxes into view: the active value's with its operation, and its inputs'.
function showInView(active, seed) {
  const svg = byId("graph");
  const own = [svg.querySelector('[data-box="' + active + '"] rect.box')];
  const op = svg.querySelector('[data-op-of="' + active + '"] ellipse');
  if (op && !seed) own.push(op);
  keepInView(own, [...inputBoxes(active, seed)].map((box) => svg.querySelector('[data-box="' + box + '"] rect.box')));
}

// The state after `index` steps: which values are known, each grad, and what is highlighted.
function stateAt(index) {
  const known = new Set();
  const grads = new Map();
  for (let i = 1; i <= index; i++) {
    const step = steps[i];
    if (step.kind === "forward") {
      known.add(step.node);
    } else if (step.kind === "backward") {
      if (step.seed) {
        for (const n of graph.nodes) {
          if (!graph.arrays) grads.set(n.id, { grad: 0, text: "0.0000" });
          else if (!n.constant) grads.set(n.id, zerosLike(n));
        }
      }
      for (const u of step.updates) grads.set(u.node, { grad: u.grad, text: u.text });
    }
  }
  return { known, grads, backward: index > forwardEnd };
}

let current = 0;

function showStep(index) {
  current = Math.max(0, Math.min(steps.length - 1, index));
  const step = steps[current];
  const { known, grads, backward } = stateAt(current);
  const active = step.node || null;
  const inputs = inputBoxes(active, step.seed);

  for (const g of document.querySelectorAll("#graph .value")) {
    const id = g.dataset.node;
    const node = nodes.get(id);
    if (graph.arrays) {
      fillCells(g, "data", known.has(id) ? node.data : null, node.data_text, "?");
      const value = grads.get(id);
      fillCells(g, "grad", value ? value.grad : null, value ? value.text : null, backward && node.constant ? "–" : "?");
      g.classList.toggle("active", id === active);
      g.classList.toggle("parent", inputs.has(g.dataset.box));
      continue;
    }
    const data = g.querySelector(".data");
    const grad = g.querySelector(".grad");
    if (known.has(id)) {
      data.textContent = "data " + node.data_text;
      data.setAttribute("class", "data");
      g.dataset.data = String(node.data);
    } else {
      data.textContent = "data ?";
      data.setAttribute("class", "data pending");
      delete g.dataset.data;
    }
    const value = grads.get(id);
    if (value) {
      grad.textContent = "grad " + value.text;
      const sign = value.grad > 0 ? " positive" : value.grad < 0 ? " negative" : "";
      grad.setAttribute("class", "grad" + sign);
      g.dataset.grad = String(value.grad);
    } else {
      grad.textContent = "grad ?";
      grad.setAttribute("class", "grad pending");
      delete g.dataset.grad;
    }
    g.classList.toggle("active", id === active);
    g.classList.toggle("parent", inputs.has(g.dataset.box));
  }
  for (const op of document.querySelectorAll("#graph .op")) {
    op.classList.toggle("active", op.dataset.opOf === active && !step.seed);
  }
  for (const edge of document.querySelectorAll("#graph .edge")) {
    const into = active && !step.seed && edge.dataset.to === active + "_op";
    const out = active && !step.seed && edge.dataset.from === active + "_op";
    edge.classList.toggle("forward", step.kind === "forward" && Boolean(into || out));
    edge.classList.toggle("backward", step.kind === "backward" && Boolean(into || out));
  }
  if (active) showInView(active, step.seed);
  explain(step);
  byId("slider").value = String(current);
  const label = current === 0 ? "start" : current <= forwardEnd
    ? "forward " + current + "/" + forwardEnd
    : "backward " + (current - forwardEnd) + "/" + (steps.length - 1 - forwardEnd);
  byId("step-label").textContent = "step " + current + " of " + (steps.length - 1) + " · " + label;
  byId("back").disabled = current === 0;
  byId("next").disabled = current === steps.length - 1;
  if (current === steps.length - 1) stopPlaying();
}

// An equation of text and arrays, as a tensor recording writes its steps: each array a small table.
function equation(pieces) {
  return '<div class="math equation">' + pieces.map((piece) => {  // a div: a <p> cannot hold a table
    if (!piece.array) return "<span>" + escapeHtml(piece.text) + "</span>";
    return '<table class="array">' + piece.array.map((row, r) => "<tr>" + row.map((x, c) =>
      '<td data-value="' + escapeHtml(String(x)) + '">' + escapeHtml(piece.text[r][c]) + "</td>").join("") + "</tr>").join("") +
      "</table>";
  }).join("") + "</div>";
}

function explain(step) {
  const phase = byId("phase");
  const box = byId("explanation");
  const math = (text, cls) => '<p class="math' + (cls ? " " + cls : "") + '">' + escapeHtml(text) + "</p>";
  const show = (part) => typeof part === "string" ? math(part) : equation(part);
  if (step.kind === "start") {
    phase.textContent = "Ready";
    phase.className = "";
    box.innerHTML = "<p>Press <b>Next</b> (or →) to compute the values one node at a time, inputs first " +
      "(the forward pass), then the gradients from the output back to the inputs (backpropagation).</p>";
  } else if (step.kind === "forward") {
    phase.textContent = "Forward pass: compute " + nodes.get(step.node).name;
    phase.className = "forward";
    box.innerHTML = step.equation ? equation(step.equation) : math(step.text);
  } else if (step.seed) {
    phase.textContent = "Backward pass: start at the output";
    phase.className = "backward";
    box.innerHTML = "<p>" + escapeHtml(step.text) + "</p>";
  } else {
    phase.textContent = "Backward pass: " + nodes.get(step.node).name + " sends its grad to its inputs";
    phase.className = "backward";
    let out = math(step.text);
    if (step.equation) out += equation(step.equation);
    if (step.rule) out += math("rule  " + step.rule, "rule");
    for (const term of step.terms) {
      out += '<div class="term">' + show(term.derivative) + show(term.update) + show(term.total) + "</div>";
    }
    box.innerHTML = out;
  }
}

let timer = null;

function stopPlaying() {
  if (timer !== null) clearInterval(timer);
  timer = null;
  byId("play").textContent = "▶ Play";
}

function togglePlay() {
  if (timer !== null) {
    stopPlaying();
    return;
  }
  if (current === steps.length - 1) showStep(0);
  byId("play").textContent = "❚❚ Pause";
  timer = setInterval(() => showStep(current + 1), 1100);
}

drawGraph();
window.addEventListener("resize", () => {
  fitGraph();
  if (steps[current].node) showInView(steps[current].node, steps[current].seed);
});
byId("slider").max = String(steps.length - 1);
byId("slider").addEventListener("input", (e) => { stopPlaying(); showStep(Number(e.target.value)); });
byId("next").addEventListener("click", (e) => { stopPlaying(); showStep(current + 1); e.currentTarget.blur(); });
byId("back").addEventListener("click", (e) => { stopPlaying(); showStep(current - 1); e.currentTarget.blur(); });
byId("reset").addEventListener("click", (e) => { stopPlaying(); showStep(0); e.currentTarget.blur(); });
byId("play").addEventListener("click", (e) => { togglePlay(); e.currentTarget.blur(); });
document.addEventListener("keydown", (e) => {
  if (e.target instanceof HTMLInputElement || e.altKey || e.ctrlKey || e.metaKey) return;
  if (e.key === "ArrowRight") { stopPlaying(); showStep(current + 1); e.preventDefault(); }
  else if (e.key === "ArrowLeft") { stopPlaying(); showStep(current - 1); e.preventDefault(); }
  else if (e.key === " ") { togglePlay(); e.preventDefault(); }
});
showStep(0);

// --- the training view --------------------------------------------------------------------------

const CLASS_COLOURS = [[28, 126, 214], [232, 89, 12], [47, 158, 68], [174, 62, 201]];

function sharpCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = Number(canvas.getAttribute("width")), height = Number(canvas.getAttribute("height"));
  canvas.style.width = width + "px";
  canvas.style.height = height + "px";
  canvas.width = Math.round(width * ratio);
  canvas.height = Math.round(height * ratio);
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { ctx, width, height };
}

function setUpTraining(training) {
  byId("training-view").hidden = false;
  byId("train-description").textContent = training.model + " · boundary recorded at " +
    training.snapshots.length + " epochs" + (training.stop_reason ? " · training stopped: " + training.stop_reason : "");
  const boundary = sharpCanvas(byId("boundary"));
  const lossChart = sharpCanvas(byId("loss-chart"));
  const accuracyChart = sharpCanvas(byId("accuracy-chart"));
  const [x0, x1, y0, y1] = training.extent;
  const slider = byId("train-slider");
  slider.max = String(training.snapshots.length - 1);
  let shown = 0;
  let trainTimer = null;

  function drawBoundary(snapshot) {
    const { ctx, width, height } = boundary;
    const n = training.grid;
    ctx.clearRect(0, 0, width, height);
    for (let row = 0; row < n; row++) {
      for (let col = 0; col < n; col++) {
        const k = row * n + col;
        const [r, g, b] = CLASS_COLOURS[Number(snapshot.classes[k]) % CLASS_COLOURS.length];
        const alpha = 0.12 + 0.4 * Number(snapshot.strength[k]) / 9;
        ctx.fillStyle = "rgba(" + r + "," + g + "," + b + "," + alpha.toFixed(3) + ")";
        const left = Math.floor(col * width / n), top = Math.floor(row * height / n);
        ctx.fillRect(left, top, Math.ceil((col + 1) * width / n) - left, Math.ceil((row + 1) * height / n) - top);
      }
    }
    for (const [px, py, cls] of training.points) {
      const x = (px - x0) / (x1 - x0) * width, y = (y1 - py) / (y1 - y0) * height;
      const [r, g, b] = CLASS_COLOURS[cls % CLASS_COLOURS.length];
      ctx.beginPath();
      ctx.arc(x, y, 5.5, 0, 2 * Math.PI);
      ctx.fillStyle = "rgb(" + r + "," + g + "," + b + ")";
      ctx.fill();
      ctx.lineWidth = 1.5;
      ctx.strokeStyle = "#1b1f24";
      ctx.stroke();
    }
    ctx.font = "600 18px Helvetica, Arial, sans-serif";
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(8, 8, 150, 30);
    ctx.fillStyle = "#1b1f24";
    ctx.fillText("epoch " + snapshot.epoch, 16, 30);
  }

  // values[k] is measured on the model after k steps; the mark is the shown snapshot's own number.
  function drawCurve(chart, values, title, fixedRange, markStep, markValue) {
    const { ctx, width, height } = chart;
    const left = 64, right = 16, top = 30, bottom = 36;
    ctx.clearRect(0, 0, width, height);
    ctx.font = "600 16px Helvetica, Arial, sans-serif";
    ctx.fillStyle = "#1b1f24";
    ctx.fillText(title, left, 20);
    const finite = values.map(Number).filter(Number.isFinite);
    if (!finite.length) return;
    let lo = fixedRange ? fixedRange[0] : Math.min(...finite);
    let hi = fixedRange ? fixedRange[1] : Math.max(...finite);
    if (hi === lo) { hi += 1; lo -= 1; }
    const n = values.length;
    const sx = (i) => left + (i / n) * (width - left - right);
    const sy = (v) => top + (1 - (v - lo) / (hi - lo)) * (height - top - bottom);
    ctx.strokeStyle = "#adb5bd";
    ctx.lineWidth = 1;
    ctx.strokeRect(left, top, width - left - right, height - top - bottom);
    ctx.font = "14px Helvetica, Arial, sans-serif";
    ctx.fillStyle = "#5b6470";
    ctx.textAlign = "right";
    ctx.fillText(hi.toPrecision(3), left - 6, top + 10);
    ctx.fillText(lo.toPrecision(3), left - 6, height - bottom);
    ctx.textAlign = "center";
    ctx.fillText("step", (left + width - right) / 2, height - 8);
    ctx.fillText("0", left, height - bottom + 18);
    ctx.fillText(String(n), width - right, height - bottom + 18);
    ctx.textAlign = "left";
    ctx.beginPath();
    values.forEach((v, i) => {
      const value = Number(v);
      if (!Number.isFinite(value)) return;
      if (i === 0) ctx.moveTo(sx(i), sy(value)); else ctx.lineTo(sx(i), sy(value));
    });
    ctx.strokeStyle = "#1c7ed6";
    ctx.lineWidth = 2.5;
    ctx.stroke();
    if (markStep >= 0 && markStep <= n) {
      const x = sx(markStep);
      ctx.strokeStyle = "#e8590c";
      ctx.lineWidth = 2.5;
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, height - bottom);
      ctx.stroke();
      const v = Number(markValue);
      if (Number.isFinite(v)) {
        ctx.beginPath();
        ctx.arc(x, sy(v), 5, 0, 2 * Math.PI);
        ctx.fillStyle = "#e8590c";
        ctx.fill();
      }
    }
  }

  function showSnapshot(index) {
    shown = Math.max(0, Math.min(training.snapshots.length - 1, index));
    const snapshot = training.snapshots[shown];
    drawBoundary(snapshot);
    drawCurve(lossChart, training.loss, "loss", null, snapshot.step, snapshot.loss);
    drawCurve(accuracyChart, training.accuracy, "accuracy", [0, 1], snapshot.step, snapshot.accuracy);
    slider.value = String(shown);
    const label = byId("train-label");
    label.textContent = snapshot.text + (snapshot.step ? " (after step " + snapshot.step + ")" : " (before training)");
    label.dataset.epoch = String(snapshot.epoch);
    label.dataset.loss = String(snapshot.loss);
    label.dataset.accuracy = String(snapshot.accuracy);
    if (shown === training.snapshots.length - 1) stopTraining();
  }

  function stopTraining() {
    if (trainTimer !== null) clearInterval(trainTimer);
    trainTimer = null;
    byId("train-play").textContent = "▶ Play";
  }

  slider.addEventListener("input", () => { stopTraining(); showSnapshot(Number(slider.value)); });
  byId("train-play").addEventListener("click", (e) => {
    e.currentTarget.blur();
    if (trainTimer !== null) { stopTraining(); return; }
    if (shown === training.snapshots.length - 1) showSnapshot(0);
    byId("train-play").textContent = "❚❚ Pause";
    trainTimer = setInterval(() => showSnapshot(shown + 1), 700);
  });
  showSnapshot(training.snapshots.length - 1);
}

if (recording.kind === "training") setUpTraining(recording.training);
