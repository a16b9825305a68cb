"""`micrograd demo` end to end, through the installed console script: results, pictures, model file,
Ctrl-C, and one-line errors with exit code 2 for bad arguments."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from console import MICROGRAD

from micrograd import MLP

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
needs_matplotlib = pytest.mark.skipif(
    importlib.util.find_spec("matplotlib") is None,
    reason='the demos draw with Matplotlib, which is not installed: pip install -e ".[demo]"',
)


def _run(*args, timeout=300, cwd=None):
    return subprocess.run([*MICROGRAD, *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def _check_png(path: Path):
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    image = pytest.importorskip("matplotlib.image")
    pixels = image.imread(path)
    assert pixels.shape[0] > 200 and pixels.shape[1] > 200 and pixels.std() > 0.05


DEMOS = {
    # name: (epochs, summary pattern, pictures, architecture)
    "moons": ("3", r"moons: accuracy \d+\.\d%, loss \d\.\d+ after 3 epochs in \d+\.\d s",
              ["decision_boundary", "history"], [2, 16, 16, 1]),
    "sine": ("3", r"sine: MSE \d\.\d+(e-\d+)? after 3 epochs in \d+\.\d s", ["fit", "history"], [1, 16, 16, 1]),
    "toy": ("3", r"toy: loss \d\.\d+, outputs \[[-+]\d\.\d{3}, [-+]\d\.\d{3}, [-+]\d\.\d{3}, [-+]\d\.\d{3}\] for "
            r"targets \[\+1, -1, -1, \+1\] after 3 epochs in \d+\.\d s", ["history"], [3, 4, 4, 1]),
    "circles": ("2", r"circles: accuracy \d+\.\d%, loss \d\.\d+ after 2 epochs in \d+\.\d s",
                ["decision_boundary", "history"], [2, 16, 16, 1]),
    "spirals": ("1", r"spirals: accuracy \d+\.\d%, loss \d\.\d+ after 1 epochs in \d+\.\d s",
                ["decision_boundary", "history"], [2, 16, 16, 3]),
}


@pytest.mark.parametrize("name", DEMOS)
@needs_matplotlib
def test_each_demo_end_to_end(tmp_path, name):
    epochs, pattern, pictures, sizes = DEMOS[name]
    out = tmp_path / "out"
    result = _run("demo", name, "--epochs", epochs, "--out", str(out))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{name}: MLP {'-'.join(map(str, sizes))} ")
    assert re.fullmatch(pattern, lines[1]), lines[1]
    expected = [out / f"{name}_{picture}.png" for picture in pictures] + [out / f"{name}_model.json"]
    assert lines[2] == "wrote " + ", ".join(map(str, expected))
    assert sorted(out.iterdir()) == sorted(expected)
    for png in expected[:-1]:
        _check_png(png)
    model = MLP.load(expected[-1])
    assert [model.nin, *model.nouts] == sizes
    assert "Traceback" not in result.stderr


@needs_matplotlib
def test_quiet_prints_only_the_summary_and_python_m_works_the_same(tmp_path):
    quiet = _run("demo", "toy", "--epochs", "4", "--seed", "3", "--out", str(tmp_path / "a"), "--quiet")
    assert quiet.returncode == 0 and quiet.stderr == ""
    [summary] = quiet.stdout.splitlines()
    module = subprocess.run(
        [sys.executable, "-m", "micrograd", "demo", "toy", "--epochs", "4", "--seed", "3", "--out",
         str(tmp_path / "b"), "--quiet"], capture_output=True, text=True, timeout=300,
    )
    assert module.returncode == 0
    # the same seed gives the same training: identical numbers (only the time may differ)
    strip = re.compile(r" in \d+\.\d s$")
    assert strip.sub("", module.stdout.strip()) == strip.sub("", summary)
    assert json.loads((tmp_path / "a" / "toy_model.json").read_text()) == json.loads(
        (tmp_path / "b" / "toy_model.json").read_text()
    )


@needs_matplotlib
def test_progress_bar_goes_to_stderr(tmp_path):
    result = _run("demo", "toy", "--epochs", "5", "--out", str(tmp_path))
    assert result.returncode == 0
    assert "5/5" in result.stderr and "loss" in result.stderr


@needs_matplotlib
def test_seed_and_lr_change_the_run(tmp_path):
    def summary(*extra):
        result = _run("demo", "toy", "--epochs", "5", "--out", str(tmp_path), "--quiet", *extra)
        assert result.returncode == 0, result.stderr
        return re.sub(r" in \d+\.\d s$", "", result.stdout.strip())

    default = summary()
    assert summary("--seed", "1337") == default
    assert summary("--seed", "7") != default
    assert summary("--lr", "0.01") != default


@needs_matplotlib
def test_bare_demo_runs_moons(tmp_path):
    result = _run("demo", "--epochs", "1", "--out", str(tmp_path), "--quiet")
    assert result.returncode == 0
    assert result.stdout.startswith("moons: accuracy")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["demo", "mnist"], "argument NAME: invalid choice: 'mnist'"),
        (["demo", "--epochs", "-5"], "argument --epochs: must be a positive integer, got '-5'"),
        (["demo", "--epochs", "0"], "argument --epochs: must be a positive integer, got '0'"),
        (["demo", "--epochs", "ten"], "argument --epochs: must be a positive integer, got 'ten'"),
        (["demo", "--lr", "0"], "argument --lr: must be a finite number > 0, got '0'"),
        (["demo", "--lr", "nan"], "argument --lr: must be a finite number > 0, got 'nan'"),
        (["demo", "--lr=-1e-3"], "argument --lr: must be a finite number > 0, got '-1e-3'"),
        (["demo", "--seed", "1.5"], "argument --seed: must be an integer, got '1.5'"),
        (["demo", "--epochs"], "argument --epochs: expected one argument"),
        (["demo", "toy", "--batch-size=3"], "unrecognized arguments: --batch-size=3"),
        (["train"], "argument COMMAND: invalid choice: 'train'"),
        (["demo", "--out", "{file}"], "--out '{file}' exists and is not a directory"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_code_2(tmp_path, args, message):
    file = tmp_path / "a_file"
    file.write_text("not a directory")
    args = [a.replace("{file}", str(file)) for a in args]
    result = _run(*args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("micrograd: error: ")
    assert message.replace("{file}", str(file)) in lines[0]
    assert not (tmp_path / "micrograd-out").exists()


def test_no_command_shows_the_help():
    result = _run()
    assert result.returncode == 2
    assert "demo" in result.stdout and "usage: micrograd" in result.stdout


def test_demo_help_says_what_the_seed_sets():
    result = _run("demo", "--help")
    assert result.returncode == 0
    seed = " ".join(result.stdout.split("\n  --seed SEED", 1)[1].split("\n  --out", 1)[0].split())
    assert seed == ("seed for the initial weights, the mini-batch order and, for names, the names it samples "
                    "(default: the demo's)")


def interrupt_once_training(*args: str) -> tuple[int, str, str]:
    """Run ``micrograd *args``, press Ctrl-C once the progress bar shows a loss; (exit code, stdout, stderr)."""
    process = subprocess.Popen([*MICROGRAD, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    progress = []

    def read_progress():
        while chunk := process.stderr.read(1):
            progress.append(chunk)

    reader = threading.Thread(target=read_progress, daemon=True)
    reader.start()
    deadline = time.monotonic() + 120
    while "loss" not in "".join(progress):  # training has started once the bar shows a loss
        assert process.poll() is None and time.monotonic() < deadline, "".join(progress)
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=120)
    reader.join(timeout=10)
    return process.returncode, stdout, "".join(progress)


@needs_matplotlib
def test_ctrl_c_stops_training_and_still_writes_the_results(tmp_path):
    """The first Ctrl-C ends training after the current step; the model learned so far is drawn and saved."""
    code, stdout, stderr = interrupt_once_training("demo", "moons", "--epochs", "100000", "--out", str(tmp_path))
    assert code == 130
    summary = stdout.splitlines()[1]
    match = re.fullmatch(r"moons: accuracy .* after (\d+) of 100000 epochs \(interrupted\) in .*", summary)
    assert match, summary
    assert "Traceback" not in stderr
    saved = MLP.load(tmp_path / "moons_model.json")
    assert [saved.nin, *saved.nouts] == [2, 16, 16, 1]
    _check_png(tmp_path / "moons_history.png")
    _check_png(tmp_path / "moons_decision_boundary.png")


@pytest.mark.slow
@pytest.mark.parametrize("mode", [[], ["--eager"]], ids=["compiled", "eager"])
@needs_matplotlib
def test_moons_demo_at_default_settings_reaches_99_percent(tmp_path, mode):
    result = _run("demo", "--out", str(tmp_path), "--quiet", *mode, timeout=900)
    assert result.returncode == 0, result.stderr
    match = re.fullmatch(r"moons: accuracy (\d+\.\d)%, loss (\d\.\d+) after 100 epochs in \d+\.\d s\n", result.stdout)
    assert match, result.stdout
    assert float(match[1]) >= 99.0
    assert float(match[2]) < 0.05


@pytest.mark.skipif(os.name != "posix", reason="uses POSIX permissions")
@needs_matplotlib
def test_pictures_and_model_are_written_where_asked(tmp_path):
    out = tmp_path / "nested" / "dir"
    result = _run("demo", "toy", "--epochs", "2", "--out", str(out), "--quiet")
    assert result.returncode == 0
    assert sorted(p.name for p in out.iterdir()) == ["toy_history.png", "toy_model.json"]
    assert (out / "toy_model.json").stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@pytest.mark.parametrize("name", DEMOS)
def test_without_matplotlib_each_demo_trains_and_says_which_pictures_it_skipped(tmp_path, name):
    """Matplotlib is optional: the demo still trains, prints its result and saves the model,
    and names each picture it could not draw and why."""
    epochs, pattern, pictures, _ = DEMOS[name]
    hidden = tmp_path / "no-matplotlib" / "matplotlib"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text('raise ImportError("No module named \'matplotlib\'")\n')
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(hidden.parent), os.environ.get("PYTHONPATH", "")])}
    out = tmp_path / "out"
    result = subprocess.run([*MICROGRAD, "demo", name, "--epochs", epochs, "--out", str(out)], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(pattern, lines[1]), lines[1]
    assert lines[2] == f"wrote {out / f'{name}_model.json'}"
    skipped = ", ".join(f"{name}_{picture}.png" for picture in pictures)
    notes = [line for line in result.stderr.splitlines() if line.startswith("micrograd: note: ")]
    reason = 'drawing them needs Matplotlib: pip install "micrograd[demo]"'
    assert notes == [f"micrograd: note: skipped {skipped}: {reason}"]
    assert sorted(p.name for p in out.iterdir()) == [f"{name}_model.json"]
    assert MLP.load(out / f"{name}_model.json").nin in (1, 2, 3)
