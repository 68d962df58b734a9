"""Waiting for something that happens asynchronously (an event handled, a task created)."""

import time
from collections.abc import Callable

import pytest


def eventually(check: Callable[[], object], timeout: float = 20.0, every: float = 0.1):
    """Poll until check() is truthy and return its value; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    pytest.fail(f"condition not met within {timeout}s")
