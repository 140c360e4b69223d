"""The ASGI vocabulary shared by every module of the package."""

from typing import Any, Awaitable, Callable, MutableMapping, Union

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

ASGI3App = Callable[[Scope, Receive, Send], Awaitable[None]]
ASGI2Instance = Callable[[Receive, Send], Awaitable[None]]
ASGI2App = Callable[[Scope], ASGI2Instance]
ASGIApp = Union[ASGI3App, ASGI2App]


class Default:
    """The one kind of sentinel default: an argument left out means a value
    set elsewhere (the client's, the session's); ``label`` says which."""

    def __init__(self, label: str) -> None:
        self._label = label

    def __repr__(self) -> str:
        return f"<{self._label}>"
