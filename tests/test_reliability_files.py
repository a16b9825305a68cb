"""Model files under attack: random documents, random bytes, random edits of a real
file, numbers too long to read, repeated keys, interrupted saves. A load either
gives the whole model the file describes or raises ModelFileError naming the file;
it never runs code."""

from __future__ import annotations

import builtins
import json
import math
import os
import random
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from micrograd import MLP
from micrograd.serialize import ModelFileError

SRC = Path(__file__).resolve().parents[1] / "src" / "micrograd"


def _saved_text() -> str:
    model = MLP(2, [3, 1], activation="tanh", rng=random.Random(3))
    return json.dumps({"format": "micrograd.MLP", "version": 1, "architecture": model.config(),
                       "parameters": model.state_dict()}, indent=2)


SAVED = _saved_text()
DOCUMENT = json.loads(SAVED)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30) | st.sampled_from((0, 1, -1, 2, 10**400))
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=8,
)


def _paths(doc, prefix=()):
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _paths(v, (*prefix, i))


PATHS = [p for p in _paths(DOCUMENT) if p]


@st.composite
def edited_documents(draw):
    """The saved document with one to three entries replaced, deleted or added."""
    doc = json.loads(SAVED)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(PATHS))
        parent = doc
        try:
            for key in path[:-1]:
                parent = parent[key]
            kind = draw(st.sampled_from(("replace", "delete", "add")))
            if kind == "replace":
                parent[path[-1]] = draw(json_values)
            elif kind == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[draw(st.text(max_size=12))] = draw(json_values)
            elif isinstance(parent, list):
                parent.append(draw(json_values))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this entry's container
    return doc


def _load_or_error(path: Path):
    """The model, or None after checking the error is a one-line ModelFileError naming the file."""
    try:
        return MLP.load(path)
    except ModelFileError as e:
        message = str(e)
        assert message.startswith(f"{path}: "), message
        assert "\n" not in message and len(message) <= 400 + len(str(path)), message
        return None


def _is_the_whole_model(model: MLP, doc: dict) -> bool:
    """Every weight is the file's and the architecture is the file's: nothing left at its initial value."""
    return model.config() == doc["architecture"] and model.state_dict() == doc["parameters"]


@given(edited_documents())
def test_edited_documents_load_whole_or_not_at_all(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("edit") / "model.json"
    path.write_text(json.dumps(doc))
    model = _load_or_error(path)
    if model is not None:
        assert _is_the_whole_model(model, doc)
        assert all(math.isfinite(v) for v in model.state_dict().values())


@given(json_values)
def test_any_json_value_is_refused_with_a_clear_error(tmp_path_factory, value):
    path = tmp_path_factory.mktemp("json") / "model.json"
    path.write_text(json.dumps(value))
    assert _load_or_error(path) is None


@given(st.binary(max_size=300))
def test_random_bytes_are_refused_with_a_clear_error(tmp_path_factory, content):
    path = tmp_path_factory.mktemp("bytes") / "model.json"
    path.write_bytes(content)
    assert _load_or_error(path) is None


@given(st.lists(st.tuples(st.integers(0, len(SAVED) - 1), st.integers(0, 255)), min_size=1, max_size=5))
def test_several_byte_flips_load_whole_or_not_at_all(tmp_path_factory, flips):
    data = bytearray(SAVED.encode())
    for i, byte in flips:
        data[i] = byte
    path = tmp_path_factory.mktemp("flip") / "model.json"
    path.write_bytes(bytes(data))
    model = _load_or_error(path)
    if model is not None:  # the flips kept valid JSON: the model is exactly what that JSON says
        assert _is_the_whole_model(model, json.loads(bytes(data)))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('"version": 1', '"version": 1' + "0" * 5000, r"a number has more than 4,300 digits"),
        ('"nin": 2', '"nin": 1' + "0" * 5000, r"a number has more than 4,300 digits"),
        ('"nin": 2', '"nin": 1' + "0" * 30, r"architecture 10{30}-3-1 has 30{29}7 parameters"),
        ('"nouts": [', '"nouts": [' + "9" * 80 + ", ",
         r"has 60{29}…0{29}1 \(81 characters\) parameters, but the file has 13"),
        ('"version": 1', '"version": -1e999', r"'version' must be an integer, got -inf"),
        ('"version": 1', '"version": 1.0',
         r"'version' must be an integer, got 1.0"),
        ('"version": 1', '"version": 99999999999999999999',
         r"unsupported format version 99999999999999999999 \(written"),
        ("{", '{"format": "keras", ', r"the entry 'format' appears twice"),
        ('"parameters": {', '"parameters": {"layers.0.neurons.0.b": 5.0, ', r"'layers.0.neurons.0.b' appears twice"),
        ('"parameters": {', '"parameters": {"' + "a" * 100_000 + '": 1, ', r"has 13 parameters, but the file has 14"),
    ],
)
def test_huge_numbers_and_repeated_keys(tmp_path, old, new, message):
    assert old in SAVED
    path = tmp_path / "model.json"
    path.write_text(SAVED.replace(old, new, 1))
    with pytest.raises(ModelFileError, match=message):
        MLP.load(path)
    assert _load_or_error(path) is None


def test_loading_runs_no_code(tmp_path, monkeypatch):
    """Loading calls none of eval, exec, compile or __import__ (no pickle, no code in the file)."""
    path = tmp_path / "model.json"
    path.write_text(SAVED)
    MLP.load(path)  # the modules it needs are imported by now

    def forbidden(*args, **kwargs):
        raise AssertionError("loading a model file ran code")

    for name in ("eval", "exec", "compile", "__import__"):
        monkeypatch.setattr(builtins, name, forbidden)
    model = MLP.load(path)
    monkeypatch.undo()
    assert _is_the_whole_model(model, DOCUMENT)


def test_no_pickle_anywhere_in_the_package():
    pattern = re.compile(r"\b(import pickle|pickle\.|cPickle|marshal|shelve|dill|yaml\.load|torch\.load)\b")
    offenders = [f"{path.name}:{n}" for path in SRC.rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if pattern.search(line)]
    assert offenders == []


@pytest.mark.parametrize("when", range(4))
@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), KeyboardInterrupt()])
def test_a_save_interrupted_at_any_point_keeps_the_previous_file(tmp_path, monkeypatch, when, error):
    """The k-th of the save's file-system steps (open, write, fsync, replace) fails, or
    Ctrl-C arrives there: the old file is untouched and no temporary file is left."""
    path = tmp_path / "model.json"
    old = MLP(2, [3, 1], rng=random.Random(1))
    old.save(path)
    before = path.read_bytes()
    steps = {0: "open", 1: "fdopen", 2: "fsync", 3: "replace"}
    real = getattr(os, steps[when])

    def interrupted(*args, **kwargs):
        if steps[when] == "open" and not str(args[0]).endswith(".tmp"):
            return real(*args, **kwargs)
        raise error

    monkeypatch.setattr(os, steps[when], interrupted)
    with pytest.raises(type(error)):
        MLP(2, [3, 1], rng=random.Random(2)).save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.json"]
    assert MLP.load(path).state_dict() == old.state_dict()
