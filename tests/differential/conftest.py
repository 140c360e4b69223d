"""Every differential scenario runs on asyncio and on trio, on both clients."""

import gc
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    # trio 0.21 and 0.22 warn on import when another sys.excepthook is
    # installed (the exceptiongroup backport's, before Python 3.11); our
    # client imports trio past that warning, the old client does not.
    warnings.filterwarnings("ignore", "You seem to already have a custom sys.excepthook", RuntimeWarning)
    import trio  # noqa: F401

# The harness asserts; pytest explains its failures only if it rewrites them.
pytest.register_assert_rewrite("tests.differential._harness")


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: Any) -> str:
    """The ``backend=`` both clients are given (overrides the suite's tuple fixture)."""
    return request.param  # type: ignore[no-any-return]


def pytest_collection_modifyitems(items: Any) -> None:
    """The old client never closes the memory streams of its lifespan, which
    today's anyio reports when they are collected: noise from the reference
    client, not something to compare."""
    here = __name__.rpartition(".")[0].replace(".", "/")
    for item in items:
        if item.nodeid.startswith(here):
            item.add_marker(pytest.mark.filterwarnings("ignore:Unclosed <MemoryObject:ResourceWarning"))


@pytest.fixture(autouse=True, scope="module")
def collect_the_old_clients_streams() -> Any:
    """Collect what the old client left unclosed before the module ends:
    collected later, in another module's test, it would be reported there
    (the marks above only cover these tests)."""
    yield
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unclosed <MemoryObject", ResourceWarning)
        gc.collect()
