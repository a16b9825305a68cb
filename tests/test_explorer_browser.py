"""The explorer page in a real browser: headless Chromium, driven by Playwright.

Needs Debian's Chromium (``apt-get install chromium``) and the Python package
``playwright`` (``pip install "micrograd[browser]"``); no browser is downloaded.
The page is opened from ``file://``, stepped with its buttons, keys and sliders, and
every value and gradient it shows is compared with the engine's.
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from micrograd.apps.demos import run_demo
from micrograd.apps.explore import record_graph, record_training, write_page
from micrograd.engine import Value, topological_order

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)
if shutil.which("dot") is None:
    pytest.skip("Graphviz's dot is not installed (apt-get install graphviz)", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason='Playwright is not installed: pip install "micrograd[browser]"'
)
Image = pytest.importorskip("PIL.Image", reason="Pillow is needed to check the screenshots (pip install pillow)")
ImageStat = pytest.importorskip("PIL.ImageStat")

ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def number(x: float) -> str:
    return f"{x:.4f}"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1400, "height": 900},
        )
        context.route("http*://**", lambda route: route.abort())  # the page must need nothing from a network
        yield context
        context.close()


@pytest.fixture
def open_page(browser):
    pages = []

    def open_(path: Path):
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("request", lambda r: errors.append("request " + r.url) if not r.url.startswith("file:") else None)
        page.goto(path.resolve().as_uri())
        pages.append((page, errors))
        return page, errors

    yield open_
    for page, errors in pages:
        assert errors == []
        page.close()


def neuron() -> Value:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1.label, x2w2.label = "x1w1", "x2w2"
    s = x1w1 + x2w2
    s.label = "x1w1x2w2"
    n = s + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return o


def shown(page) -> dict[str, dict[str, str | None]]:
    """Each value box's name, its displayed data and grad, and the exact numbers it carries."""
    return page.eval_on_selector_all(
        "#graph .value",
        """gs => Object.fromEntries(gs.map(g => [g.querySelector('.name').textContent, {
            data: g.querySelector('.data').textContent, grad: g.querySelector('.grad').textContent,
            exact_data: g.dataset.data ?? null, exact_grad: g.dataset.grad ?? null}]))""",
    )


def move_slider(page, selector: str, value: int) -> None:
    page.eval_on_selector(selector, f"s => {{ s.value = '{value}'; s.dispatchEvent(new Event('input')); }}")


def not_blank(png: bytes) -> None:
    image = Image.open(io.BytesIO(png)).convert("L")
    assert ImageStat.Stat(image).var[0] > 300, "the screenshot is (nearly) one colour"
    histogram = image.histogram()
    assert sum(histogram[:128]) > 0.01 * sum(histogram), "the screenshot has almost nothing dark on it"


@pytest.fixture(scope="module")
def graph_page(tmp_path_factory):
    root = neuron()
    path = write_page(record_graph(root, title="the lecture's neuron"), tmp_path_factory.mktemp("page") / "g.html")
    engine = neuron()
    engine.backward()
    return path, {v.label: v for v in topological_order(engine)}


def test_stepping_shows_the_engines_values_then_grads(graph_page, open_page, tmp_path):
    path, engine = graph_page
    page, _ = open_page(path)
    forward = len(engine)
    backward = 1 + sum(1 for v in engine.values() if v._prev)
    assert page.text_content("#step-label").startswith(f"step 0 of {forward + backward}")
    assert all(s["exact_data"] is None and s["data"] == "data ?" for s in shown(page).values())

    for _ in range(forward):
        page.click("#next")
    after_forward = shown(page)
    assert set(after_forward) == set(engine)
    for name, value in engine.items():
        assert float(after_forward[name]["exact_data"]) == value.data
        assert after_forward[name]["data"] == f"data {number(value.data)}"
        assert after_forward[name]["grad"] == "grad ?"

    for _ in range(backward):
        page.keyboard.press("ArrowRight")
    done = shown(page)
    for name, value in engine.items():
        assert float(done[name]["exact_grad"]) == value.grad, name
        assert done[name]["grad"] == f"grad {number(value.grad)}"
    assert page.is_disabled("#next")

    page.keyboard.press("ArrowLeft")  # undo the last step: the first operation gives its inputs their grads
    last = next(v for v in engine.values() if v._prev)
    inputs = {p.label for p in last._prev}
    undone = shown(page)
    for name, value in engine.items():
        assert float(undone[name]["exact_grad"]) == (0.0 if name in inputs else value.grad), name
    shown_now = [v for v in engine.values() if v._prev][1]  # the step before the last one
    panel = page.text_content("#explanation")
    assert all(f"{p.label}.grad += {shown_now.label}.grad × " in panel for p in shown_now._prev)

    move_slider(page, "#slider", forward + 2)  # the tanh node's step
    panel = page.text_content("#explanation")
    assert "∂o/∂n = 1 - tanh²(n) = 0.5000" in panel
    assert "n.grad += o.grad × ∂o/∂n = 1.0000 × 0.5000 = 0.5000" in panel
    boxes = page.eval_on_selector_all(
        "#graph .value.active, #graph .value.parent",
        "gs => gs.map(g => [g.querySelector('.name').textContent, g.getAttribute('class')])",
    )
    assert sorted(boxes) == [["n", "value parent"], ["o", "value active"]]
    screenshot = page.screenshot(full_page=True)
    (tmp_path / "explorer-graph.png").write_bytes(screenshot)
    not_blank(screenshot)

    page.click("#reset")
    assert page.text_content("#step-label").startswith("step 0 ")
    assert shown(page)["o"]["data"] == "data ?"


def test_space_plays_and_pauses(graph_page, open_page):
    path, _ = graph_page
    page, _ = open_page(path)
    page.keyboard.press(" ")
    assert page.text_content("#play") == "❚❚ Pause"
    page.wait_for_function("document.getElementById('slider').value !== '0'", timeout=5000)
    page.keyboard.press(" ")
    assert page.text_content("#play") == "▶ Play"
    stopped_at = page.eval_on_selector("#slider", "s => s.value")
    page.wait_for_timeout(1300)
    assert page.eval_on_selector("#slider", "s => s.value") == stopped_at


def test_a_big_graph_says_so(tmp_path, open_page):
    x = Value(0.5, label="x")
    total = x
    for _ in range(100):
        total = total * 0.99 + x
    page, _ = open_page(write_page(record_graph(total), tmp_path / "big.html"))
    assert page.is_visible("#graph-note")
    assert "This graph has 301 values" in page.text_content("#graph-note")
    assert page.eval_on_selector_all("#graph .value:not(.copy)", "gs => gs.length") <= 150
    # x feeds a sum at every depth: it is drawn again beside each later use, the same value on every box
    copies = page.eval_on_selector_all("#graph .value.copy", "gs => gs.map(g => g.dataset.node)")
    assert len(copies) > 20 and len(set(copies)) == 1
    assert page.is_visible("#copy-legend")


def test_training_view_follows_the_slider(tmp_path, open_page):
    recording = record_training("moons", epochs=4, snapshots=5, grid=24)
    page, _ = open_page(write_page(recording, tmp_path / "train.html"))
    snapshots = recording["training"]["snapshots"]
    label = "#train-label"
    assert page.get_attribute(label, "data-epoch") == "4"

    def canvas() -> str:
        return page.eval_on_selector("#boundary", "c => c.toDataURL()")

    last = canvas()
    move_slider(page, "#train-slider", 0)
    assert page.get_attribute(label, "data-epoch") == "0"
    assert float(page.get_attribute(label, "data-loss")) == snapshots[0]["loss"]
    assert page.text_content(label).startswith(f"epoch 0: loss {snapshots[0]['loss']:.4f}")
    assert canvas() != last

    # full-batch training: the loss after epoch 2 is the loss step 3 measures before its update, and
    # the page shows the history's own number for it (the one its chart draws)
    run = run_demo("moons", epochs=4, out=None, verbose=False)
    move_slider(page, "#train-slider", 2)
    assert page.get_attribute(label, "data-epoch") == "2"
    assert float(page.get_attribute(label, "data-loss")) == run.history.loss[2]
    assert float(page.get_attribute(label, "data-accuracy")) == run.history.accuracy[2]
    move_slider(page, "#train-slider", 4)
    assert float(page.get_attribute(label, "data-loss")) == run.final.loss
    assert float(page.get_attribute(label, "data-accuracy")) == run.final.accuracy
    move_slider(page, "#train-slider", 0)

    page.click("#train-play")
    page.wait_for_function("document.getElementById('train-label').dataset.epoch === '4'", timeout=8000)
    assert page.text_content("#train-play") == "▶ Play"
    screenshot = page.screenshot(full_page=True)
    (tmp_path / "explorer-training.png").write_bytes(screenshot)
    not_blank(screenshot)


# --- tensors: tables of arrays ------------------------------------------------------------


def shown_number(x: float) -> str:
    """How the page writes a number: 4 decimals, or scientific notation where that would hide it."""
    from micrograd.apps.formatting import number as page_number

    return page_number(float(x))


def tensor_layer():
    """tanh(3 W @ x + b) summed: b, a single number, is broadcast over the rows."""
    from micrograd.tensor import Tensor

    leaves = {"W": Tensor([[1.0, 2.0, -0.5], [3.0, -4.0, 0.25]], requires_grad=True),
              "x": Tensor([0.5, -1.0, 2.0], requires_grad=True), "b": Tensor(0.1, requires_grad=True)}
    return (3 * (leaves["W"] @ leaves["x"]) + leaves["b"]).tanh().sum(), leaves


def cells(page) -> dict[str, dict[str, list]]:
    """Each tensor box's data and grad cells in reading order: shown texts and exact numbers."""
    return page.eval_on_selector_all(
        "#graph .value.tensor:not(.copy)",
        """gs => Object.fromEntries(gs.map(g => [g.querySelector('.name').textContent, Object.fromEntries(
            ['data', 'grad'].flatMap(kind => {
                const cs = [...g.querySelectorAll('.cell.' + kind)];
                return [[kind, cs.map(c => c.textContent)], [kind + '_exact', cs.map(c => c.dataset.value ?? null)]];
            }))]))""",
    )


def panel_tables(page) -> list[list[float]]:
    """The numbers of each table in the explanation panel, in reading order, row-major."""
    return page.eval_on_selector_all(
        "#explanation table.array",
        "ts => ts.map(t => [...t.querySelectorAll('td')].map(td => Number(td.dataset.value)))",
    )


@pytest.fixture(scope="module")
def tensor_page(tmp_path_factory):
    pytest.importorskip("numpy")
    from micrograd.apps.explore.tensor_record import record_tensor_graph
    from micrograd.apps.tensorviz import keep_grads, tensor_order

    root, leaves = tensor_layer()
    recording = record_tensor_graph(root, leaves, title="a tensor layer")
    path = write_page(recording, tmp_path_factory.mktemp("tensor") / "t.html")
    engine, _ = tensor_layer()
    keep_grads(engine)
    engine.backward()
    names = {node["id"]: node["name"] for node in recording["nodes"]}
    return path, recording, {names[f"v{i}"]: t for i, t in enumerate(tensor_order([engine]))}


def test_tensor_tables_show_the_engines_arrays_then_grads(tensor_page, open_page, tmp_path):
    path, recording, engine = tensor_page
    page, _ = open_page(path)
    forward, backward = len(recording["forward"]), len(recording["backward"])
    assert page.text_content("#step-label").startswith(f"step 0 of {forward + backward}")
    start = cells(page)
    assert set(start) == set(engine)
    assert all(set(box["data"]) == {"?"} and set(box["grad"]) == {"?"} for box in start.values())

    for _ in range(forward):
        page.click("#next")
    shown = cells(page)
    for name, tensor in engine.items():
        assert [float(v) for v in shown[name]["data_exact"]] == tensor.data.reshape(-1).tolist(), name
        assert shown[name]["data"] == [shown_number(v) for v in tensor.data.reshape(-1)], name
        assert set(shown[name]["grad"]) == {"?"}

    for _ in range(backward):
        page.keyboard.press("ArrowRight")
    done = cells(page)
    for name, tensor in engine.items():
        if not tensor.requires_grad:  # the constant 3
            assert set(done[name]["grad"]) == {"–"} and name == "3"
            continue
        assert [float(v) for v in done[name]["grad_exact"]] == tensor.grad.reshape(-1).tolist(), name
        assert done[name]["grad"] == [shown_number(v) for v in tensor.grad.reshape(-1)], name
    assert page.is_disabled("#next")

    # the broadcast of b: its grad is the sum of the broadcast copy's grad, shown as that sum
    names = {node["id"]: node["name"] for node in recording["nodes"]}
    expand = next(i for i, s in enumerate(recording["backward"])
                  if "broadcast" in s.get("rule", "") and any(names[t["parent"]] == "b" for t in s["terms"]))
    move_slider(page, "#slider", forward + expand + 1)
    panel = page.text_content("#explanation")
    copy = names[recording["backward"][expand]["node"]]
    assert f"b.grad += sum over axis 0 of {copy}.grad = sum of" in panel
    tables = panel_tables(page)
    assert tables[0] == engine[copy].grad.reshape(-1).tolist()  # the step's own grad
    assert [engine[copy].grad.sum()] in tables and [engine["b"].grad.item()] in tables

    # the matrix product: W.grad += g @ xᵀ with the three matrices
    matmul = next(i for i, s in enumerate(recording["backward"]) if s.get("rule", "").startswith("@"))
    page.click("#reset")
    for _ in range(forward + matmul + 1):
        page.keyboard.press("ArrowRight")
    page.click("#back")
    page.click("#next")
    product = names[recording["backward"][matmul]["node"]]
    panel = page.text_content("#explanation")
    assert f"W.grad += {product}.grad @ " in panel
    g, xT, contribution = panel_tables(page)[1:4]
    assert xT == engine["x"].data.tolist() and contribution == engine["W"].grad.reshape(-1).tolist()
    assert g == engine[product].grad.reshape(-1).tolist()
    boxes = page.eval_on_selector_all("#graph .value.active, #graph .value.parent",
                                      "gs => gs.map(g => g.querySelector('.name').textContent).sort()")
    assert product in boxes and "W" in boxes
    screenshot = page.screenshot(full_page=True)
    (tmp_path / "explorer-tensor.png").write_bytes(screenshot)
    not_blank(screenshot)


def test_tensor_page_plays_with_space(tensor_page, open_page):
    path, _, _ = tensor_page
    page, _ = open_page(path)
    page.keyboard.press(" ")
    page.wait_for_function("document.getElementById('slider').value !== '0'", timeout=5000)
    page.keyboard.press(" ")
    assert page.text_content("#play") == "▶ Play"


# --- the view follows the steps -------------------------------------------------------------------

STEP_BOXES = """([active, inputs]) => {
    const panel = document.getElementById('graph-box'), outer = panel.getBoundingClientRect();
    const left = outer.left + panel.clientLeft, top = outer.top + panel.clientTop;
    const rect = (selector) => {
        const r = document.querySelector('#graph ' + selector).getBoundingClientRect();
        return [r.left, r.top, r.right, r.bottom];
    };
    const op = document.querySelector('#graph [data-op-of="' + active + '"].active ellipse');
    return {view: [left, top, left + panel.clientWidth, top + panel.clientHeight],
            highlighted: [...document.querySelectorAll('#graph .value.parent')].map(g => g.dataset.box).sort(),
            active: rect('[data-box="' + active + '"] rect.box'), op: op ? rect('.op.active ellipse') : null,
            inputs: inputs.map(box => rect('[data-box="' + box + '"] rect.box'))};
}"""


def inside(box: list[float], view: list[float]) -> bool:
    """Whether ``box`` lies wholly in ``view`` (left, top, right, bottom), to within a pixel's rounding."""
    return box[0] >= view[0] - 1 and box[1] >= view[1] - 1 and box[2] <= view[2] + 1 and box[3] <= view[3] + 1


def fits(boxes: list[list[float]], view: list[float]) -> bool:
    """Whether the rectangle around ``boxes`` is no wider and no taller than ``view``."""
    return (max(b[2] for b in boxes) - min(b[0] for b in boxes) <= view[2] - view[0] - 2
            and max(b[3] for b in boxes) - min(b[1] for b in boxes) <= view[3] - view[1] - 2)


def scrolls(page) -> list[bool]:
    """Whether the graph panel scrolls across and whether it scrolls down: the graph is wider, taller than it."""
    return page.eval_on_selector("#graph-box", "p => [p.scrollWidth > p.clientWidth, p.scrollHeight > p.clientHeight]")


def check_every_step_in_view(page, graph: dict) -> tuple[int, int]:
    """Step through the page: the boxes feeding the active value's operation are the ones highlighted as its
    inputs; the active box (with its operation) is always in the graph panel's view; so are its inputs' boxes
    when they all fit in the panel with it, and when they do not, at least one of them if one fits.
    How many steps showed all their inputs and how many had too many to show."""
    nodes = {node["id"]: node for node in graph["nodes"]}
    whole = crowded = 0
    for index, step in enumerate(graph["forward"] + graph["backward"], start=1):
        move_slider(page, "#slider", index)
        node = step["node"]
        feeding = [] if step.get("seed") or not nodes[node]["parents"] else [
            edge["box"] for edge in graph["layout"]["edges"] if edge["to"] == node + "_op"]
        shown = page.evaluate(STEP_BOXES, [node, feeding])
        view, inputs = shown["view"], shown["inputs"]
        own = [shown["active"]] + ([shown["op"]] if shown["op"] else [])
        where = f"step {index} ({nodes[node]['name']}): view {view}, active {own}, inputs {inputs}"
        assert shown["highlighted"] == sorted(set(feeding)), where
        assert all(inside(box, view) for box in own), where
        if fits(own + inputs, view):
            assert all(inside(box, view) for box in inputs), where
            whole += bool(inputs)
        else:
            crowded += 1
            if any(fits([*own, box], view) for box in inputs):
                assert any(inside(box, view) for box in inputs), where
    return whole, crowded


def test_the_active_node_and_its_inputs_stay_in_view_on_a_tensor_page(tmp_path, open_page):
    pytest.importorskip("numpy")
    from micrograd.apps.explore.tensor_record import record_tensor_graph
    from micrograd.tensor import Tensor

    leaves = {"W": Tensor([[1.0, -2.0, 0.5], [0.3, 1.0, -1.0]], requires_grad=True),
              "X": Tensor([[1.0, 0.0], [-1.0, 2.0], [0.5, 0.5]], requires_grad=True),
              "b": Tensor([0.1, -0.2], requires_grad=True)}
    root = (2 * (leaves["W"] @ leaves["X"]).relu() + leaves["b"]).mean()
    recording = record_tensor_graph(root, leaves, title="a wide tensor graph")
    page, _ = open_page(write_page(recording, tmp_path / "wide-tensor.html"))
    assert scrolls(page)[0]
    whole, crowded = check_every_step_in_view(page, recording)
    assert whole >= 8 and crowded == 0


@pytest.fixture(scope="module")
def network_page(tmp_path_factory):
    """The lecture's network MLP(3, [4, 4, 1]) on one sample: wider and taller than the panel."""
    import random

    from micrograd.nn import MLP

    model = MLP(3, [4, 4, 1], rng=random.Random(1))
    x = [Value(2.0, label="x1"), Value(3.0, label="x2"), Value(-1.0, label="x3")]
    recording = record_graph(model(x), title="the lecture's network")
    return write_page(recording, tmp_path_factory.mktemp("network") / "network.html"), recording


def test_the_active_node_and_its_inputs_stay_in_view_on_a_wide_scalar_page(network_page, open_page):
    path, recording = network_page
    page, _ = open_page(path)
    assert scrolls(page) == [True, True]
    whole, crowded = check_every_step_in_view(page, recording)
    assert whole >= 20 and crowded >= 1  # the second layer's sums of 9 terms are taller than the panel


def test_a_panel_too_small_for_all_inputs_keeps_the_active_node_and_some(network_page, open_page):
    path, recording = network_page
    page, _ = open_page(path)
    page.set_viewport_size({"width": 1000, "height": 560})
    page.wait_for_function("document.getElementById('graph-box').clientWidth < 600")
    whole, crowded = check_every_step_in_view(page, recording)
    assert whole >= 10 and crowded > 4


def test_of_a_value_drawn_again_the_copy_at_this_use_is_the_input_shown(tmp_path, open_page):
    x = Value(0.5, label="x")
    total = x
    for _ in range(12):
        total = total * 0.99 + x
    recording = record_graph(total)
    assert len(recording["layout"]["copies"]["v0"]) > 5
    page, _ = open_page(write_page(recording, tmp_path / "copies.html"))
    assert scrolls(page)[0]
    whole, crowded = check_every_step_in_view(page, recording)
    assert whole >= 20 and crowded == 0
