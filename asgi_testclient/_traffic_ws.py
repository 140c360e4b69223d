"""A websocket session that records its handshake and messages for the
failure report (see ``_traffic``); ``websocket_connect`` returns one while
a recording is on.

It records in the test's thread, around the session's public methods:
what the test sent, what it received (or what ``receive`` raised), how the
handshake and the session ended. Messages the app sent that the test never
received are not read on its behalf.
"""

from typing import Any, Optional

from ._traffic import WebSocketRecord
from ._types import Message
from ._websocket import WebSocketTestSession


class RecordedWebSocketTestSession(WebSocketTestSession):
    __test__ = False

    def __init__(self, *args: Any, traffic_record: WebSocketRecord, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._traffic_record = traffic_record

    def __enter__(self) -> "RecordedWebSocketTestSession":
        record = self._traffic_record
        try:
            super().__enter__()
        except BaseException as exc:
            record.outcome = ("failed", exc)
            raise
        record.outcome = ("accepted", self.accepted_subprotocol)
        return self

    def __exit__(self, exc_type: Any, exc: Optional[BaseException], tb: Any) -> None:
        try:
            super().__exit__(exc_type, exc, tb)
        except BaseException as error:
            self._traffic_record.ended(error)
            raise
        self._traffic_record.ended(None)

    def send(self, message: Message) -> None:
        super().send(message)
        self._traffic_record.message(">", message)

    def receive(self, **kwargs: Any) -> Message:
        try:
            message = super().receive(**kwargs)
        except BaseException as exc:
            self._traffic_record.message("<", exc)
            raise
        self._traffic_record.message("<", message)
        return message
