"""`micrograd demo digits` and `micrograd demo names` end to end, through the console script: the printed
results against the model files they write, the pictures, reproducible sampling, missing packages, and
one-line errors with exit code 2 for bad arguments."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path

import pytest
from console import MICROGRAD
from test_cli_demo import _check_png, _run, interrupt_once_training

from micrograd.apps.tensor_demos import TENSOR_DEMOS

needs_numpy = pytest.mark.skipif(
    importlib.util.find_spec("numpy") is None,
    reason='the tensor demos need NumPy, which is not installed: pip install -e ".[numpy]"',
)
needs_sklearn = pytest.mark.skipif(
    importlib.util.find_spec("numpy") is None or importlib.util.find_spec("sklearn") is None,
    reason='the digits demo needs scikit-learn (and NumPy), not installed: pip install -e ".[data]"',
)
needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None,
    reason='the demos draw with Matplotlib, which is not installed: pip install -e ".[demo]"',
)

DIGITS = re.compile(r"digits: test accuracy (\d+\.\d)% \((\d+) of (\d+)\), test loss (\d\.\d{4}), "
                    r"train accuracy (\d+\.\d)% after (\d+) epochs in \d+\.\d s")  # fmt: skip
NAMES = re.compile(r"names: train loss (\d\.\d{4}), validation loss (\d\.\d{4}) after (\d+) epochs in \d+\.\d s")
SAMPLED = re.compile(r"20 names sampled with seed (\d+): (.*)")


def _hide(tmp_path: Path, *modules: str) -> dict[str, str]:
    """An environment in which importing each of ``modules`` fails as if it were not installed."""
    hidden = tmp_path / "hidden"
    for module in modules:
        (hidden / module).mkdir(parents=True)
        (hidden / module / "__init__.py").write_text(f'raise ImportError("No module named {module!r}")\n')
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(hidden), os.environ.get("PYTHONPATH", "")])}


def _run_at_defaults(tmp_path: Path, name: str, pictures: list[str]) -> tuple[list[str], Path]:
    """Run demo ``name`` at its defaults: the lines before the list of files, and the output folder, once the
    pictures and the model file it names are checked to be there (and nothing else), each picture a real PNG."""
    out = tmp_path / "out"
    result = _run("demo", name, "--out", str(out))
    assert result.returncode == 0, result.stderr
    *lines, wrote = result.stdout.splitlines()
    files = [out / f"{name}_{picture}.png" for picture in pictures] + [out / f"{name}_model.json"]
    assert wrote == "wrote " + ", ".join(map(str, files))
    assert sorted(out.iterdir()) == sorted(files)
    for picture in files[:-1]:
        _check_png(picture)
    epochs = TENSOR_DEMOS[name].epochs
    assert f"{epochs}/{epochs}" in result.stderr and "Traceback" not in result.stderr  # the progress bar
    return lines, out


@needs_sklearn
@needs_matplotlib
def test_digits_at_its_defaults_reaches_95_percent_and_its_model_file_says_the_same(tmp_path):
    import numpy as np

    from micrograd.apps.tensor_demos import digits_data
    from micrograd.tensor import Tensor
    from micrograd.tensor.nn import Sequential

    (described, summary), out = _run_at_defaults(tmp_path, "digits", ["confusion_matrix", "misclassified", "history"])
    assert described.startswith("digits: MLP 64-128-10 (ReLU) on 1438 training images, 359 held out for test")
    match = DIGITS.fullmatch(summary)
    assert match, summary
    accuracy, right, count, epochs = float(match[1]), int(match[2]), int(match[3]), int(match[6])
    assert accuracy >= 95.0 and count == 359 and epochs == TENSOR_DEMOS["digits"].epochs
    assert f"{right / count:.1%}" == f"{accuracy}%"

    model = Sequential.load(out / "digits_model.json")
    assert [(layer.in_features, layer.out_features) for layer in model if hasattr(layer, "in_features")] == [
        (64, 128), (128, 10)]
    _, _, X_test, y_test = digits_data()
    predicted = model(Tensor(X_test)).data.argmax(axis=1)
    assert int((predicted == y_test).sum()) == right
    assert len(y_test) == count and np.bincount(y_test).min() >= 35  # every digit in the test set


@needs_numpy
@needs_matplotlib
def test_names_at_its_defaults_learns_and_its_model_file_samples_the_printed_names(tmp_path):
    from micrograd.apps.tensor_demos import names_data, sample_names
    from micrograd.tensor import Tensor, cross_entropy
    from micrograd.tensor.nn import Sequential

    (described, summary, sampled), out = _run_at_defaults(tmp_path, "names", ["embedding", "history"])
    assert described.startswith("names: MLP 27×2 embedding, 6-100-27 (tanh) on ")
    match = NAMES.fullmatch(summary)
    assert match, summary
    train_loss, val_loss = float(match[1]), float(match[2])
    # a uniform guess over 27 characters costs ln 27 = 3.30; the bigram table of the lectures about 2.45
    assert train_loss < 2.3 and val_loss < 2.3
    names = _sampled(sampled, TENSOR_DEMOS["names"].seed)

    model = Sequential.load(out / "names_model.json")
    assert model[0].weight.shape == (27, 2)
    _, _, X_val, y_val = names_data()
    assert f"{cross_entropy(model(Tensor(X_val)), y_val).item():.4f}" == match[2]
    assert sample_names(model, 20, TENSOR_DEMOS["names"].seed) == names


def _sampled(line: str, seed: int) -> list[str]:
    match = SAMPLED.fullmatch(line)
    assert match and int(match[1]) == seed, line
    names = match[2].split(", ")
    assert len(names) == 20 and all(re.fullmatch("[a-z]+", name) for name in names), names
    return names


@needs_numpy
def test_sampled_names_repeat_with_the_seed_and_change_with_another(tmp_path):
    def run(seed: str) -> tuple[str, list[str]]:
        result = _run("demo", "names", "--epochs", "1", "--seed", seed, "--out", str(tmp_path / seed), "--quiet")
        assert result.returncode == 0, result.stderr
        summary, sampled = result.stdout.splitlines()
        return re.sub(r" in \d+\.\d s$", "", summary), _sampled(sampled, int(seed))

    first, again, other = run("5"), run("5"), run("6")
    assert first == again
    assert other[0] != first[0] and other[1] != first[1]
    assert len(set(first[1])) > 10  # names, not one name twenty times


@needs_numpy
def test_ctrl_c_stops_names_training_and_still_samples_and_saves(tmp_path):
    from micrograd.apps.tensor_demos import sample_names
    from micrograd.tensor.nn import Sequential

    code, stdout, stderr = interrupt_once_training("demo", "names", "--epochs", "100000", "--seed", "3", "--out",
                                                   str(tmp_path))  # fmt: skip
    assert code == 130 and "Traceback" not in stderr
    _, summary, sampled, _ = stdout.splitlines()
    assert re.fullmatch(r"names: train loss \d\.\d{4}, validation loss \d\.\d{4} after \d+ of 100000 epochs "
                        r"\(interrupted\) in \d+\.\d s", summary), summary  # fmt: skip
    assert sample_names(Sequential.load(tmp_path / "names_model.json"), 20, 3) == _sampled(sampled, 3)


@needs_sklearn
def test_digits_quiet_prints_only_its_result_and_the_seed_changes_it(tmp_path):
    def summary(*extra: str) -> str:
        result = _run("demo", "digits", "--epochs", "2", "--out", str(tmp_path), "--quiet", *extra)
        assert result.returncode == 0 and result.stderr == "", result.stderr
        [line] = result.stdout.splitlines()
        assert DIGITS.fullmatch(line), line
        return re.sub(r" in \d+\.\d s$", "", line)

    default = summary()
    assert summary("--seed", str(TENSOR_DEMOS["digits"].seed)) == default
    assert summary("--seed", "7") != default
    assert summary("--lr", "0.001") != default


@needs_sklearn
def test_digits_without_matplotlib_trains_saves_the_model_and_names_the_skipped_pictures(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run([*MICROGRAD, "demo", "digits", "--epochs", "1", "--out", str(out)], capture_output=True,
                            text=True, timeout=300, env=_hide(tmp_path, "matplotlib"))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert DIGITS.fullmatch(result.stdout.splitlines()[1])
    skipped = "digits_confusion_matrix.png, digits_misclassified.png, digits_history.png"
    note = f'micrograd: note: skipped {skipped}: drawing them needs Matplotlib: pip install "micrograd[demo]"'
    assert [line for line in result.stderr.splitlines() if line.startswith("micrograd: ")] == [note]
    assert sorted(p.name for p in out.iterdir()) == ["digits_model.json"]


@pytest.mark.parametrize(
    ("name", "hidden", "message"),
    [
        ("digits", ["sklearn"], 'the digits demo needs scikit-learn, which is not installed: '
                                'pip install "micrograd[data]"'),
        ("digits", ["numpy", "sklearn"], 'the digits demo needs NumPy, which is not installed: '
                                         'pip install "micrograd[numpy]"'),
        ("names", ["numpy"], 'the names demo needs NumPy, which is not installed: pip install "micrograd[numpy]"'),
    ],
)
def test_a_missing_package_is_one_line_with_the_pip_command_and_exit_code_2(tmp_path, name, hidden, message):
    if "numpy" not in hidden and importlib.util.find_spec("numpy") is None:
        pytest.skip('NumPy is not installed, so the demo names it first: pip install -e ".[numpy]"')
    result = subprocess.run([*MICROGRAD, "demo", name], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                            env=_hide(tmp_path, *hidden))  # fmt: skip
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"micrograd: error: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hidden"]  # no micrograd-out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "digits", "--epochs", "0"], "argument --epochs: must be a positive integer, got '0'"),
        (["demo", "names", "--epochs", "ten"], "argument --epochs: must be a positive integer, got 'ten'"),
        (["demo", "names", "--lr", "nan"], "argument --lr: must be a finite number > 0, got 'nan'"),
        (["demo", "digits", "--lr=inf"], "argument --lr: must be a finite number > 0, got 'inf'"),
        (["demo", "names", "--seed", "x"], "argument --seed: must be an integer, got 'x'"),
        (["demo", "names", "--seed", "-1"], "the names demo's seed must be an integer >= 0"),
        (["demo", "digits", "--eager"], "--eager applies only to the demos of Values"),
        (["demo", "digits", "--epochs", "1000001"], "epochs must be a positive int up to 1,000,000, got 1000001"),
        (["demo", "mnist"], "argument NAME: invalid choice: 'mnist'"),
        (["demo", "names", "extra"], "unrecognized arguments: extra"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_code_2(tmp_path, args, message):
    result = _run(*args, cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, ""), result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("micrograd: error: "), result.stderr
    assert message in lines[0]
    assert not (tmp_path / "micrograd-out").exists()


def test_the_help_lists_the_tensor_demos():
    result = _run("demo", "--help")
    assert result.returncode == 0
    for name, demo in TENSOR_DEMOS.items():
        assert f"  {name:<8} {demo.summary}" in result.stdout

