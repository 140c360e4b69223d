import io

import pytest
import requests
from shop import app
from starlette.testclient import TestClient


def test_get_with_params(client):
    response = client.get("/", params={"q": "shoes"})
    assert response.ok
    assert response.status_code == 200
    assert response.json() == {"hello": "world", "q": "shoes"}
    assert response.url == "http://testserver/?q=shoes"


def test_client_is_a_requests_session(client):
    assert isinstance(client, requests.Session)
    client.headers.update({"X-Token": "t"})
    assert client.headers["X-Token"] == "t"


def test_form_data(client):
    response = client.post("/form", data={"name": "Ann", "city": "Oslo"})
    assert response.json() == {"name": "Ann", "city": "Oslo"}


def test_raw_body(client):
    response = client.post("/raw", data=b"\x00\xffbytes", headers={"Content-Type": "application/octet-stream"})
    assert response.json() == {"body": "\x00\xffbytes", "type": "application/octet-stream"}
    assert client.post("/raw", data="text").json()["body"] == "text"


def test_file_upload(client):
    files = {"upload": ("notes.txt", io.BytesIO(b"hello"), "text/plain")}
    response = client.post("/form", data={"name": "Ann"}, files=files)
    assert response.json() == {
        "name": "Ann",
        "upload": {"filename": "notes.txt", "content": "hello", "type": "text/plain"},
    }


def test_redirect_not_followed(client):
    response = client.get("/old", allow_redirects=False)
    assert response.status_code == 302
    assert response.is_redirect
    assert response.headers["location"] == "/?q=moved"


def test_redirect_followed(client):
    response = client.get("/old")
    assert response.json()["q"] == "moved"
    assert [r.status_code for r in response.history] == [302]


def test_cookies(client):
    client.get("/login")
    assert client.cookies["session"] == "abc123"
    assert client.cookies.get_dict() == {"session": "abc123"}
    assert client.get("/whoami").json() == {"session": "abc123"}
    client.cookies.clear()
    assert client.get("/whoami").json() == {"session": None}


def test_template(client):
    response = client.get("/page")
    assert response.template.name == "page.html"
    assert response.context["title"] == "Welcome"
    assert "<h1>Welcome</h1>" in response.text


def test_server_exception_is_raised(client):
    with pytest.raises(RuntimeError, match="on fire"):
        client.get("/boom")


def test_server_exception_as_500():
    client = TestClient(app, raise_server_exceptions=False)
    response = client.get("/boom")
    assert response.status_code == 500
    with pytest.raises(requests.HTTPError):
        response.raise_for_status()
