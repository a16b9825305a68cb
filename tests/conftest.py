"""Shared test configuration: Hypothesis profiles and the PyTorch reference."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

# deadline=None: timing on shared 2-core machines is too noisy for per-example deadlines.
settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
# core: the core suite on the other supported Pythons, drawing fewer examples so CI stays short.
settings.register_profile("core", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else "dev"))

try:
    import torch
except ImportError:
    torch = None


@pytest.fixture
def torch_module():
    """PyTorch, or a skip with the reason when it is not installed."""
    if torch is None:
        pytest.skip("PyTorch is not installed: pip install torch==2.13.0 to run the comparisons")
    return torch


def pytest_collection_modifyitems(config, items):
    if torch is not None:
        return
    skip = pytest.mark.skip(reason="PyTorch is not installed: pip install torch==2.13.0 to run the comparisons")
    for item in items:
        if "torch" in item.keywords:
            item.add_marker(skip)
