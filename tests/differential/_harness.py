"""Run one scenario through the old requests-based client and ours, and compare.

The old client is ``starlette_testclient.TestClient``, the backport of
Starlette 0.20.4's client. Legacy fidelity means that a test written for it
observes the same things through ours: the app sees the same scopes and
messages, the test sees the same responses and exceptions. The few
differences the contract allows are named :class:`Allowed` entries; each
asserts that the difference is there, exactly as described, before it is
taken out of the comparison, so an allowed difference that disappears or
changes shape fails too.
"""

import dataclasses
import warnings
from typing import Any, Callable, Dict, List, Sequence, Tuple

import requests

from asgi_testclient import TestClient as NewClient

with warnings.catch_warnings():
    # The backport touches anyio names that today's anyio deprecates.
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette_testclient import TestClient as OldClient

__all__ = [
    "ALLOWED_PROTOCOL_ERROR_EXPLAINED",
    "ALLOWED_PROTOCOL_ERROR_RAISED",
    "DEFAULT_ALLOWED",
    "Allowed",
    "NewClient",
    "Observation",
    "OldClient",
    "Opaque",
    "Raised",
    "Recorder",
    "compare",
    "describe",
    "http_calls",
    "run_both",
    "run_one",
]


@dataclasses.dataclass(frozen=True)
class Opaque:
    """Stands for an object that is not plain data (a file, a template, a
    Request): only its type can be compared between two runs."""

    type_name: str


def plain(value: Any) -> Any:
    """``value`` as plain data, copied; containers keep their order and type."""
    if value is None or isinstance(value, (str, bytes, bool, int, float)):
        return value
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    return Opaque(type(value).__name__)


class Recorder:
    """An ASGI wrapper that records every call: a copy of the scope as the app
    received it, and each message received or sent, in order."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.calls: List[Dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        events: List[Tuple[str, Any]] = []
        self.calls.append({"scope": plain(scope), "events": events})

        async def recording_receive() -> Any:
            message = await receive()
            events.append(("receive", plain(message)))
            return message

        async def recording_send(message: Any) -> None:
            events.append(("send", plain(message)))
            await send(message)

        await self.app(scope, recording_receive, recording_send)


@dataclasses.dataclass(frozen=True)
class Raised:
    """The exception a scenario raised, as a test can tell it apart."""

    type_name: str
    detail: Any


def _raised(exc: BaseException) -> Raised:
    if hasattr(exc, "code") and hasattr(exc, "reason"):  # WebSocketDisconnect
        return Raised(type(exc).__name__, (exc.code, exc.reason))
    return Raised(type(exc).__name__, str(exc))


@dataclasses.dataclass
class Observation:
    """Everything one client's run showed: the app's calls and the test's result."""

    client: str
    calls: List[Dict[str, Any]]
    result: Any


def describe(response: requests.Response, client: Any = None) -> Dict[str, Any]:
    """What a test can read off a response (and the client's cookie jar)."""
    seen = {
        "status": response.status_code,
        "reason": response.reason,
        "headers": list(response.headers.items()),
        "body": response.content,
        "url": response.url,
        "history": [(past.status_code, past.url) for past in response.history],
        "request": (response.request.method, response.request.url, list(response.request.headers.items())),
    }
    if client is not None:
        seen["cookies"] = [(c.name, c.value, c.domain, c.path, c.secure) for c in client.cookies]
    return seen


def run_one(
    client_class: Any, app_factory: Callable[[], Any], scenario: Callable[[Any], Any], **client_kwargs: Any
) -> Observation:
    """Run ``scenario(client)`` on a fresh app; an exception is part of the result."""
    recorder = Recorder(app_factory())
    client = client_class(recorder, **client_kwargs)
    try:
        result = scenario(client)
    except Exception as exc:  # noqa: BLE001 - what the test saw, compared like any result
        result = _raised(exc)
    finally:
        if client_class is NewClient:
            client.close()  # the old client's close() raises AttributeError
    return Observation(client_class.__name__ + "@" + client_class.__module__, recorder.calls, result)


def run_both(
    app_factory: Callable[[], Any], scenario: Callable[[Any], Any], **client_kwargs: Any
) -> Tuple[Observation, Observation]:
    """The same scenario on a fresh app, through the old client then ours."""
    old = run_one(OldClient, app_factory, scenario, **client_kwargs)
    new = run_one(NewClient, app_factory, scenario, **client_kwargs)
    return old, new


def http_calls(observation: Observation) -> List[Dict[str, Any]]:
    return [call for call in observation.calls if call["scope"]["type"] == "http"]


@dataclasses.dataclass(frozen=True)
class Allowed:
    """One difference the contract allows: ``check(old, new)`` asserts it is
    there as described, then removes it from both observations."""

    name: str
    check: Callable[[Observation, Observation], None]


def _lifespan_state(old: Observation, new: Observation) -> None:
    for call in old.calls:
        assert "state" not in call["scope"], "the old client had no lifespan state"
    for call in new.calls:
        assert isinstance(call["scope"].pop("state"), dict)


def _debug_extension(old: Observation, new: Observation) -> None:
    for old_call, new_call in zip(old.calls, new.calls):
        if old_call["scope"]["type"] == new_call["scope"]["type"] == "http":
            assert old_call["scope"]["extensions"] == {"http.response.template": {}}
            assert new_call["scope"]["extensions"] == {"http.response.template": {}, "http.response.debug": {}}
            new_call["scope"]["extensions"] = old_call["scope"]["extensions"]


def _lifespan_scope(old: Observation, new: Observation) -> None:
    for old_call, new_call in zip(old.calls, new.calls):
        if old_call["scope"]["type"] == new_call["scope"]["type"] == "lifespan":
            # The backport's; Starlette 0.20.4 itself sent {"type": "lifespan"}.
            assert old_call["scope"] == {"type": "lifespan", "asgi": {"version": "3.0"}}
            assert new_call["scope"] == {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
            new_call["scope"] = old_call["scope"]


#: Lifespan state: every scope of ours has ``state`` (a shallow copy of it).
ALLOWED_LIFESPAN_STATE = Allowed("ALLOWED_LIFESPAN_STATE", _lifespan_state)
#: Our HTTP scopes also offer the ``http.response.debug`` extension.
ALLOWED_DEBUG_EXTENSION = Allowed("ALLOWED_DEBUG_EXTENSION", _debug_extension)
#: Our lifespan scope names the lifespan spec version.
ALLOWED_LIFESPAN_SCOPE = Allowed("ALLOWED_LIFESPAN_SCOPE", _lifespan_scope)

DEFAULT_ALLOWED = (ALLOWED_LIFESPAN_STATE, ALLOWED_DEBUG_EXTENSION, ALLOWED_LIFESPAN_SCOPE)


def differences(path: str, old: Any, new: Any) -> List[str]:
    """Every place where ``new`` differs from ``old``, one line each."""
    if isinstance(old, dict) and isinstance(new, dict):
        found = [
            line
            for key in [*old, *(key for key in new if key not in old)]
            for line in differences(
                f"{path}[{key!r}]", old.get(key, "<missing>"), new.get(key, "<missing>")
            )
        ]
        if [key for key in old if key in new] != [key for key in new if key in old]:
            found.append(f"{path}: keys in order {list(old)} (old) / {list(new)} (ours)")
        return found
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [line for i, (a, b) in enumerate(zip(old, new)) for line in differences(f"{path}[{i}]", a, b)]
    if type(old) is not type(new) or old != new:
        return [f"{path}: old {old!r:.600} / ours {new!r:.600}"]
    return []


def compare(old: Observation, new: Observation, allowed: Sequence[Allowed] = ()) -> None:
    """Assert both runs saw the same, apart from the ``allowed`` differences
    (the defaults always apply); the failure lists every difference."""
    for difference in (*DEFAULT_ALLOWED, *allowed):
        difference.check(old, new)
    found = differences("calls", old.calls, new.calls) + differences("result", old.result, new.result)
    assert not found, "old client vs ours:\n" + "\n".join(found)


def _protocol_error_explained(old: Observation, new: Observation) -> None:
    assert isinstance(old.result, Raised) and old.result.type_name == "AssertionError", old.result
    assert isinstance(new.result, Raised) and new.result.type_name == "ASGIProtocolError", new.result
    # Ours is an AssertionError too, and says what the old one said first.
    from asgi_testclient import ASGIProtocolError

    assert issubclass(ASGIProtocolError, AssertionError)
    assert new.result.detail.startswith(old.result.detail), (old.result, new.result)
    new.result = old.result


def _protocol_error_raised(old: Observation, new: Observation) -> None:
    assert not isinstance(old.result, Raised), old.result
    assert isinstance(new.result, Raised) and new.result.type_name == "ASGIProtocolError", new.result
    new.result = old.result


#: A protocol error the old client asserted (an ``AssertionError`` raised
#: in the test): ours raises ``ASGIProtocolError``, an ``AssertionError``
#: whose message starts with the old one and goes on to explain it.
ALLOWED_PROTOCOL_ERROR_EXPLAINED = Allowed("ALLOWED_PROTOCOL_ERROR_EXPLAINED", _protocol_error_explained)
#: With ``raise_server_exceptions=False`` the old client swallowed the
#: assertion its own ``send()`` raised into the app, and returned whatever
#: response it had (an empty 500, or the status with an empty body): it lost
#: the error. Ours raises it, as it raises every protocol error.
ALLOWED_PROTOCOL_ERROR_RAISED = Allowed("ALLOWED_PROTOCOL_ERROR_RAISED", _protocol_error_raised)


def old_client_crashed(type_name: str, detail: str) -> Allowed:
    """The old client itself failed (its own bug, not the app's): a test
    written for it cannot have relied on the outcome. Asserts the old run
    raised exactly that, before the app was called, and that ours did not
    raise; then only our run's success is left to check by the test."""

    def check(old: Observation, new: Observation) -> None:
        assert old.result == Raised(type_name, detail)
        assert old.calls == []
        assert not isinstance(new.result, Raised), new.result
        new.calls, new.result = [], old.result

    return Allowed(f"ALLOWED_OLD_CLIENT_CRASHED({type_name})", check)
