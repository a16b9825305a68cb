"""The collector pause restores gc exactly as it found it, on every way out of the block."""

import gc
import threading

import pytest

from micrograd.collector import collector_paused


@pytest.fixture(autouse=True)
def _collector_on():
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_pauses_and_restores():
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_nested_spans_restore_only_at_the_outermost():
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_restored_on_exception_and_interrupt(error):
    with pytest.raises(error), collector_paused():
        raise error()
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled():
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()
    gc.enable()


def test_overlapping_spans_across_threads():
    inside, release = threading.Event(), threading.Event()

    def worker():
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    with collector_paused():
        pass
    assert not gc.isenabled(), "the other thread's span is still open"
    release.set()
    thread.join(5)
    assert gc.isenabled()
