"""Browser tests: Python playwright driving Debian's chromium (installed by `make test`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from bench.live_page import CHROMIUM, CHROMIUM_BASE_ARGS

ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    if CHROMIUM is None:
        pytest.fail("Debian chromium is not installed: run `make test`, which installs it")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [*CHROMIUM_BASE_ARGS, "--disable-quic"],
    }


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
