"""The framework-by-backend matrix: every test taking ``app`` runs against the
contract's app (``contract.py``) built with each framework, on each of the
backends of ``make_client``."""

from typing import Any, Callable, Dict, List, NamedTuple, Tuple

import pytest

from . import django_app, fastapi_app, litestar_app, quart_app, raw_app, starlette_app
from .contract import FEATURES


class Framework(NamedTuple):
    name: str
    build: Callable[[List[str]], Any]
    #: feature -> why this framework lacks it (features from ``contract.FEATURES``)
    missing: Dict[str, str]

    def needs(self, feature: str) -> None:
        """Skip the test, saying why, if this framework lacks ``feature``."""
        assert feature in FEATURES, f"unknown feature {feature!r}"
        if feature in self.missing:
            pytest.skip(self.missing[feature])


FRAMEWORKS = {
    framework.name: framework
    for framework in [
        Framework("starlette", starlette_app.build, starlette_app.MISSING),
        Framework("fastapi", fastapi_app.build, fastapi_app.MISSING),
        Framework("litestar", litestar_app.build, litestar_app.MISSING),
        Framework("quart", quart_app.build, quart_app.MISSING),
        Framework("django", django_app.build, django_app.MISSING),
        Framework("asgi3", raw_app.build_asgi3, raw_app.MISSING),
        Framework("asgi2", raw_app.build_asgi2, raw_app.MISSING),
    ]
}


@pytest.fixture(params=list(FRAMEWORKS))
def framework(request: Any, backend: Tuple[str, Dict[str, Any]]) -> Framework:
    """The framework under test; a combination with a backend it cannot run
    on is skipped, saying why."""
    framework = FRAMEWORKS[request.param]
    if backend[0] == "trio":
        framework.needs("trio")
    return framework


@pytest.fixture
def log() -> List[str]:
    """What the app logs: lifespan events and the end of its event stream."""
    return []


@pytest.fixture
def app(framework: Framework, log: List[str]) -> Any:
    """The contract's app, built with the framework under test."""
    return framework.build(log)
