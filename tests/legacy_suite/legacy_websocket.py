import pytest
from starlette.testclient import WebSocketDisconnect, WebSocketTestSession
from starlette.websockets import WebSocketDisconnect as StarletteWebSocketDisconnect


def test_echo(client):
    with client.websocket_connect("/ws") as websocket:
        assert isinstance(websocket, WebSocketTestSession)
        assert websocket.receive_json() == {"hello": "websocket"}
        websocket.send_json({"n": 41})
        assert websocket.receive_json() == {"n": 42}


def test_server_closes(client):
    try:
        with client.websocket_connect("/ws/closing") as websocket:
            websocket.receive_text()
    except WebSocketDisconnect as exc:
        assert exc.code == 1008
    else:
        pytest.fail("the app closed the websocket")


def test_server_closes_starlette_exception(client):
    with pytest.raises(StarletteWebSocketDisconnect) as info:
        with client.websocket_connect("/ws/closing") as websocket:
            websocket.receive_json()
    assert info.value.code == 1008
