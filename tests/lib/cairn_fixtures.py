"""pytest fixtures shared by the black-box suites; a suite's conftest.py puts
tests/lib on sys.path and star-imports this module."""

import pytest

from cairn_harness import Server


@pytest.fixture
def make_server():
    """make_server(backend=None, extra_args=(), flavour=None, start=True) ->
    a Server that is killed and removed at teardown."""
    servers = []

    def factory(backend=None, extra_args=(), flavour=None, start=True):
        s = Server(flavour=flavour, backend=backend, extra_args=extra_args)
        servers.append(s)
        if start:
            s.start()
        return s

    yield factory
    for s in servers:
        s.cleanup()


@pytest.fixture(params=["wiredtiger", "memory"])
def backend(request):
    return request.param
