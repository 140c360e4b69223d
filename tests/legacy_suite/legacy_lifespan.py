from shop import app, events
from starlette.testclient import TestClient


def test_lifespan_runs_around_with():
    del events[:]
    with TestClient(app) as client:
        assert events == ["startup"]
        assert client.get("/ready").json() == {"ready": True}
    assert events == ["startup", "shutdown"]


def test_lifespan_fixture(started_client):
    assert started_client.get("/ready").json() == {"ready": True}
