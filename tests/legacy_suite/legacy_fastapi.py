from fastapi.testclient import TestClient
from shop import api

client = TestClient(api)


def test_read_item():
    response = client.get("/items/3")
    assert response.status_code == 200
    assert response.json() == {"id": 3}


def test_create_item_with_json():
    response = client.post("/items", json={"name": "hat"})
    assert response.status_code == 201
    assert response.json() == {"created": {"name": "hat"}}


def test_upload_form_and_file():
    response = client.post("/upload", data={"owner": "ann"}, files={"file": ("a.csv", b"a,b\n1,2\n", "text/csv")})
    assert response.json() == {"owner": "ann", "filename": "a.csv", "size": 8}


def test_basic_auth():
    assert client.get("/me", auth=("ann", "secret")).json() == {"user": "ann"}
    assert client.get("/me").status_code == 401


def test_validation_error():
    response = client.get("/items/not-a-number")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "item_id"]
