"""Saving and loading models: exact round trips, atomic writes, every kind of bad file, and to_torch."""

from __future__ import annotations

import json
import math
import os
import random
import stat
import sys
from pathlib import Path

import pytest

from micrograd import MLP, Layer, Module, Neuron
from micrograd.serialize import FORMAT, VERSION, ModelFileError


def _model(**kwargs):
    return MLP(2, [3, 2, 1], rng=random.Random(7), **kwargs)


def _saved(tmp_path, model=None):
    path = tmp_path / "model.json"
    (model or _model()).save(path)
    return path


def _document(tmp_path):
    return json.loads(_saved(tmp_path).read_text())


def _write(tmp_path, data, name="bad.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


@pytest.mark.parametrize(
    "kwargs", [{}, dict(activation="tanh", output_activation="sigmoid", init="scaled"), dict(fused=False)]
)
def test_round_trip_is_exact(tmp_path, kwargs):
    model = _model(**kwargs)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = MLP.load(path)
    assert loaded.config() == model.config()
    assert loaded.state_dict() == model.state_dict()  # bit for bit
    for x in ([0.3, -1.2], [2.0, 0.5]):
        assert loaded(x).data == model(x).data


def test_file_is_readable_json_with_format_version_architecture_and_weights(tmp_path):
    model = _model()
    text = _saved(tmp_path, model).read_text()
    data = json.loads(text)
    assert data["format"] == FORMAT == "micrograd.MLP" and data["version"] == VERSION == 1
    assert data["architecture"] == model.config()
    assert data["parameters"] == model.state_dict()
    assert "\n  " in text  # indented for people


def test_saving_replaces_the_old_file_and_leaves_no_temporary_files(tmp_path):
    path = _saved(tmp_path)
    other = MLP(2, [3, 2, 1], rng=random.Random(8))
    other.save(path)
    assert MLP.load(path).state_dict() == other.state_dict()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_a_save_that_fails_mid_write_leaves_the_previous_file_intact(tmp_path, monkeypatch, failing):
    path = _saved(tmp_path)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(28, "No space left on device")

    if failing == "write":
        real_fdopen = os.fdopen

        class HalfWritten:
            """A file that writes half of the text, then fails (a full disk)."""

            def __init__(self, *args, **kwargs):
                self.file = real_fdopen(*args, **kwargs)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.file.close()

            def write(self, text):
                self.file.write(text[: len(text) // 2])
                fail()

        monkeypatch.setattr(os, "fdopen", HalfWritten)
    else:
        monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="No space left"):
        MLP(2, [3, 2, 1], rng=random.Random(9)).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]


def test_a_diverged_model_is_not_saved(tmp_path):
    model = _model()
    model.layers[1].neurons[0].b.data = math.nan
    with pytest.raises(ValueError, match="'layers.1.neurons.0.b' is nan"):
        model.save(tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()


def test_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.json"):
        MLP.load(tmp_path / "nope.json")


def test_every_truncation_is_a_clear_error(tmp_path):
    text = _saved(tmp_path).read_text()
    for cut in range(0, len(text) - 2, 7):
        path = _write(tmp_path, text[:cut], "cut.json")
        with pytest.raises(ModelFileError, match="cut.json"):
            MLP.load(path)


def _change(path_in_document, value):
    def edit(doc):
        target = doc
        for key in path_in_document[:-1]:
            target = target[key]
        if value is _DELETE:
            del target[path_in_document[-1]]
        else:
            target[path_in_document[-1]] = value
        return doc

    return edit


_DELETE = object()
FIRST = "layers.0.neurons.0.w.0"

BAD_DOCUMENTS = {
    "not an object": (lambda doc: [doc], "not a micrograd model file"),
    "no format": (_change(["format"], _DELETE), "not a micrograd model file"),
    "other format": (_change(["format"], "keras"), "not a micrograd model file"),
    "newer version": (_change(["version"], 2), "unsupported format version 2 \\(written by a newer micrograd\\)"),
    "version 0": (_change(["version"], 0), "unsupported format version 0"),
    "version as text": (_change(["version"], "1"), "'version' must be an integer"),
    "version true": (_change(["version"], True), "'version' must be an integer"),
    "no version": (_change(["version"], _DELETE), "'version' must be an integer"),
    "extra entry": (lambda doc: {**doc, "optimizer": {}}, "unexpected entries \\['optimizer'\\]"),
    "no parameters": (_change(["parameters"], _DELETE), "missing \\['parameters'\\]"),
    "architecture list": (_change(["architecture"], [2, 3]), "'architecture' must be an object"),
    "architecture missing": (_change(["architecture", "nouts"], _DELETE), "missing \\['nouts'\\]"),
    "architecture extra": (_change(["architecture", "dropout"], 0.5), "unexpected \\['dropout'\\]"),
    "nin text": (_change(["architecture", "nin"], "2"), "'nin' must be a positive integer"),
    "nin true": (_change(["architecture", "nin"], True), "'nin' must be a positive integer"),
    "nin zero": (_change(["architecture", "nin"], 0), "'nin' must be a positive integer"),
    "nouts empty": (_change(["architecture", "nouts"], []), "'nouts' must be a non-empty list"),
    "nouts number": (_change(["architecture", "nouts"], 3), "'nouts' must be a non-empty list"),
    "nouts zero": (_change(["architecture", "nouts"], [3, 0, 1]), "'nouts'\\[1\\] must be a positive integer"),
    "nouts float": (_change(["architecture", "nouts"], [3, 2.0, 1]), "'nouts'\\[1\\] must be a positive integer"),
    "huge layer": (_change(["architecture", "nouts"], [3, 10**9, 1]), "has 5000000010 parameters, but the file has 20"),
    "wrong architecture": (_change(["architecture", "nouts"], [4, 1]), "2-4-1 has 17 parameters, but the file has 20"),
    "activation number": (_change(["architecture", "activation"], 1), "'activation' must be a string"),
    "activation unknown": (_change(["architecture", "activation"], "swish"), "unknown activation 'swish'"),
    "init unknown": (_change(["architecture", "init"], "xavier"), "unknown init 'xavier'"),
    "fused text": (_change(["architecture", "fused"], "yes"), "'fused' must be true or false"),
    "parameters list": (_change(["parameters"], [0.1] * 17), "'parameters' must be an object"),
    "weight text": (_change(["parameters", FIRST], "0.5"), f"'{FIRST}' must be a number, got str"),
    "weight null": (_change(["parameters", FIRST], None), f"'{FIRST}' must be a number, got NoneType"),
    "weight bool": (_change(["parameters", FIRST], True), f"'{FIRST}' must be a number, got bool"),
    "weight list": (_change(["parameters", FIRST], [0.5]), f"'{FIRST}' must be a number, got list"),
    "weight missing": (_change(["parameters", FIRST], _DELETE), "has 20 parameters, but the file has 19"),
    "weight renamed": (
        lambda doc: {**doc, "parameters": {("x" + k if k == FIRST else k): v for k, v in doc["parameters"].items()}},
        "missing 1 \\('layers.0.neurons.0.w.0'\\); unexpected 1",
    ),
}


@pytest.mark.parametrize("case", BAD_DOCUMENTS)
def test_bad_documents_are_clear_errors(tmp_path, case):
    edit, message = BAD_DOCUMENTS[case]
    path = _write(tmp_path, edit(_document(tmp_path)))
    with pytest.raises(ModelFileError, match=message) as info:
        MLP.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("NaN", "contains NaN"),
        ("-Infinity", "contains -Infinity"),
        ("1e999", "not a finite number \\(inf\\)"),
        ("1" + "0" * 400, "not a finite number"),
    ],
)
def test_non_finite_weights_are_rejected(tmp_path, literal, message):
    data = _document(tmp_path)
    data["parameters"][FIRST] = 0.0
    text = json.dumps(data).replace(f'"{FIRST}": 0.0', f'"{FIRST}": {literal}', 1)
    assert literal in text
    with pytest.raises(ModelFileError, match=message):
        MLP.load(_write(tmp_path, text))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b"{\"format\": \"micrograd.MLP\", \"version\": 1,,}", "not valid JSON .* line 1 column"),
        (b"[" * 100000 + b"]" * 100000, "nested too deeply|not a micrograd model file"),
        (b"import os; os.system('echo hacked')", "not valid JSON"),
        (b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00\x8c\x02os\x94.", "not UTF-8"),  # a pickle
    ],
)
def test_corrupt_bytes_are_clear_errors(tmp_path, content, message):
    path = tmp_path / "corrupt.json"
    path.write_bytes(content)
    with pytest.raises(ModelFileError, match=message):
        MLP.load(path)


def test_random_byte_flips_never_load_silently_wrong(tmp_path):
    original = _saved(tmp_path).read_bytes()
    reference = _model().state_dict()
    rng = random.Random(0)
    outcomes = set()
    for _ in range(300):
        data = bytearray(original)
        i = rng.randrange(len(data))
        data[i] = rng.randrange(256)
        path = tmp_path / "flipped.json"
        path.write_bytes(bytes(data))
        try:
            model = MLP.load(path)
        except ModelFileError:
            outcomes.add("error")
            continue
        # a flip that still parses can only have changed a digit of one weight (or whitespace)
        changed = [k for k, v in model.state_dict().items() if v != reference[k]]
        assert len(changed) <= 1
        outcomes.add("loaded")
    assert "error" in outcomes


@pytest.mark.torch
@pytest.mark.parametrize(
    ("nouts", "kwargs"),
    [
        ([16, 16, 1], {}),
        ([5, 3], dict(activation="tanh", output_activation="sigmoid")),
        ([4, 4, 2], dict(activation="sigmoid", output_activation="tanh", init="scaled")),
    ],
)
def test_to_torch_gives_the_same_outputs(torch_module, nouts, kwargs):
    torch = torch_module
    model = MLP(2, nouts, rng=random.Random(1), **kwargs)
    twin = model.to_torch()
    assert isinstance(twin, torch.nn.Sequential)
    rng = random.Random(2)
    X = [[rng.uniform(-3, 3), rng.uniform(-3, 3)] for _ in range(25)]
    theirs = twin(torch.tensor(X, dtype=torch.float64)).tolist()
    for x, row in zip(X, theirs, strict=True):
        out = model(x)
        ours = [out.data] if nouts[-1] == 1 else [v.data for v in out]
        assert ours == pytest.approx(row, rel=1e-12, abs=1e-15)


def test_to_torch_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match='pip install "micrograd\\[torch\\]"'):
        _model().to_torch()


def test_load_accepts_str_paths(tmp_path):
    path = _saved(tmp_path)
    assert MLP.load(str(path)).state_dict() == MLP.load(Path(path)).state_dict()


def test_saving_over_a_symlink_writes_through_to_its_target(tmp_path):
    target = tmp_path / "real" / "model.json"
    target.parent.mkdir()
    MLP(2, [1]).save(target)
    link = tmp_path / "link.json"
    link.symlink_to(target)
    model = MLP(2, [1], rng=random.Random(5))
    model.save(link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert MLP.load(target).state_dict() == model.state_dict()
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.json"]


def test_saving_keeps_the_mode_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "secret.json"
    MLP(2, [1]).save(path)
    path.chmod(0o600)
    MLP(2, [1]).save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    umask = os.umask(0o022)
    os.umask(umask)
    MLP(2, [1]).save(tmp_path / "new.json")
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == 0o666 & ~umask


class _Net(Module):
    """A module of one's own, built from micrograd's layers (no config(), no MLP)."""

    def __init__(self, seed):
        rng = random.Random(seed)
        self.layers = {"hidden": Layer(2, 4, rng=rng), "out": Neuron(4, nonlin=False, rng=rng)}

    def __call__(self, x):
        return self.layers["out"](self.layers["hidden"](x))


def test_any_module_of_micrograd_layers_saves_and_loads_into_an_instance(tmp_path):
    trained, fresh = _Net(seed=1), _Net(seed=2)
    path = tmp_path / "net.json"
    trained.save(path)
    assert json.loads(path.read_text())["format"] == "micrograd.Module"
    assert fresh.state_dict() != trained.state_dict()
    assert fresh.load(path) is fresh
    assert fresh.state_dict() == trained.state_dict()  # every float bit for bit
    x = [0.3, -1.2]
    assert fresh(x).data == trained(x).data


def test_a_module_file_of_another_class_or_shape_leaves_the_module_as_it_was(tmp_path):
    path = tmp_path / "layer.json"
    Layer(2, 3, rng=random.Random(0)).save(path)
    net = _Net(seed=3)
    before = net.state_dict()
    with pytest.raises(ModelFileError, match=r"holds the parameters of a Layer, not of a _Net"):
        net.load(path)
    wider = Layer(2, 4, rng=random.Random(0))
    wide_before = wider.state_dict()
    with pytest.raises(ModelFileError, match=r"Layer.s 12 parameters: missing 3 \(.neurons.3.w.0."):
        wider.load(path)
    assert net.state_dict() == before and wider.state_dict() == wide_before
    with pytest.raises(ModelFileError, match=r"not a micrograd Module file"):
        MLP(2, [3, 1]).save(tmp_path / "mlp.json") or net.load(tmp_path / "mlp.json")


def test_a_parameters_override_decides_what_a_module_file_holds(tmp_path):
    class FrozenHidden(_Net):
        def parameters(self):
            return self.layers["out"].parameters()

    model = FrozenHidden(seed=4)
    path = tmp_path / "frozen.json"
    model.save(path)
    assert len(json.loads(path.read_text())["parameters"]) == 5  # the output neuron's 4 weights and bias
    other = FrozenHidden(seed=5)
    other.load(path)
    assert other.layers["out"].state_dict() == model.layers["out"].state_dict()
    assert other.layers["hidden"].state_dict() != model.layers["hidden"].state_dict()


def test_a_diverged_module_is_not_saved(tmp_path):
    net = _Net(seed=6)
    net.layers["out"].b.data = math.inf
    with pytest.raises(ValueError, match=r"is inf \(did training diverge\?\)"):
        net.save(tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()
