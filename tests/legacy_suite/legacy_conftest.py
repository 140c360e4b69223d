import pytest
from shop import app
from starlette.testclient import TestClient


@pytest.fixture
def client():
    return TestClient(app)


@pytest.fixture
def started_client():
    with TestClient(app) as client:
        yield client
