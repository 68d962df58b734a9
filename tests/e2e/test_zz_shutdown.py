"""Runs last (marked stops_suite, see tests/e2e/conftest.py): stop the shared suite as a user
would and check nothing is left."""

import signal
import socket
import subprocess

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.stops_suite]


def test_ctrl_c_stops_every_process(suite):
    suite.process.send_signal(signal.SIGINT)
    try:
        code = suite.process.wait(60)
    except subprocess.TimeoutExpired:
        suite.process.kill()
        pytest.fail("keyuan up did not stop within 60s of Ctrl-C")
    assert code == 0
    port = int(suite.url.rsplit(":", 1)[1])
    for taken in [port, *range(suite.metrics_base, suite.metrics_base + 6)]:
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", taken)) != 0, f"port {taken} still served"
