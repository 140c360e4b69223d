"""The text of a failed test's traffic report, made only when a test fails.

Client by client, the last exchanges in the order they started: the
request line, the status and duration, the headers each way (credentials
masked unless asked), an excerpt of each body (text decoded, JSON indented,
binary summarised; at most :data:`BODY_LIMIT` characters each) and what the
app raised; for a websocket, the handshake's outcome and the last messages
each way.
"""

import json
from typing import Any, Iterable, List, Optional, Tuple

from ._compat import content_consumed, loaded_content
from ._traffic import Answer, ClientTraffic, HTTPRecord, Recording, WebSocketRecord

#: Characters of a body shown before it is cut.
BODY_LIMIT = 2000

#: Characters of one websocket message shown before it is cut.
MESSAGE_TEXT_LIMIT = 500

#: Characters of an exception's message shown.
ERROR_LIMIT = 500

#: Headers whose values are credentials: masked unless secrets are shown.
SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})

MASK = "<masked>"

# Content types that are text whatever their charset says (or without one).
_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-www-form-urlencoded",
    "application/problem+json",
)
_INDENT = "    "


def format_recording(recording: Recording) -> str:
    """Every client's part, or ``""`` if no client exchanged anything."""
    parts = [_format_client(traffic, recording.show_secrets) for traffic in recording.clients if traffic.records]
    return "\n\n".join(parts)


def _format_client(traffic: ClientTraffic, show_secrets: bool) -> str:
    shown = len(traffic.records)
    what = f"{traffic.count} exchange" + ("s" if traffic.count != 1 else "")
    if shown < traffic.count:
        what = f"the last {shown} of {what}"
    lines = [f"client {traffic.number}: {traffic.label} -- {what}"]
    first = traffic.count - shown + 1
    for number, record in enumerate(traffic.records, first):
        lines.append("")
        if isinstance(record, WebSocketRecord):
            lines.extend(_format_websocket(number, record, show_secrets))
        else:
            lines.extend(_format_http(number, record, show_secrets))
    return "\n".join(lines)


# -- HTTP -------------------------------------------------------------------------------


def _format_http(number: int, record: HTTPRecord, show_secrets: bool) -> List[str]:
    response = record.response
    if response is not None:
        outcome = f"{response.status_code} {response.reason}".rstrip()
    elif record.error is not None:
        outcome = f"raised {exception_line(record.error)}"
    else:
        outcome = "(no response yet)"
    lines = [f"[{number}] {record.method} {record.url} -> {outcome}{_duration(record.seconds)}"]
    lines.extend(_headers("request headers", record.headers.items(), show_secrets))
    lines.extend(_request_body(record.body, record.headers.get("content-type")))
    if response is None:
        return lines
    lines.extend(_headers("response headers", response.headers.items(), show_secrets))
    lines.extend(_response_body(record, response))
    problem = _app_error(response)
    if problem:
        lines.append(f"  {problem}")
    if record.error is not None:
        lines.append(f"  raised {exception_line(record.error)}")
    return lines


def _request_body(body: Any, content_type: Optional[str]) -> List[str]:
    if body is None or body == b"" or body == "":
        return []
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        return _body("request body", bytes(body), content_type)
    size = _length(body)
    if content_type and content_type.startswith("multipart/"):
        return [f"  request body: multipart form ({size}), not shown"]
    return [f"  request body: streamed from {type(body).__name__} ({size}), not shown"]


def _length(body: Any) -> str:
    try:
        return f"{len(body)} bytes"
    except TypeError:
        return "length unknown"


def _response_body(record: HTTPRecord, response: Any) -> List[str]:
    content_type = response.headers.get("content-type")
    content = response.content if isinstance(response, Answer) else loaded_content(response)
    if isinstance(content, bytes):
        return _body("response body", content, content_type, response.encoding)
    tap = record.tap
    if tap is None or not tap.total:
        return ["  response body: (streamed, not read)"]
    finished = content_consumed(response)
    note = f"streamed, the test read {'all ' if finished else ''}{tap.total} bytes"
    if response.headers.get("content-encoding"):
        note += f" {response.headers['content-encoding']}-encoded"
    return _body("response body", bytes(tap.head), content_type, response.encoding, tap.total, note)


def _app_error(response: Any) -> str:
    """What the app raised while answering: a response read in full kept
    it (if the client answered 500 for it), a streamed one's exchange has it."""
    if isinstance(response, Answer):
        swallowed = response.app_error
    else:
        exchange = getattr(getattr(response.raw, "asgi_reader", None), "_exchange", None)
        if exchange is None:
            return ""
        channel = exchange.channel
        error = channel.error
        if error is not None and not (channel.cancelled and channel.error_is_cancellation):
            from ._exceptions import unwrap_group

            return f"app raised {exception_line(unwrap_group(error))}"
        swallowed = getattr(exchange, "swallowed_error", None)
    if swallowed is not None:
        kind, args = swallowed
        message = ", ".join(map(str, args)) if len(args) != 1 else str(args[0])
        line = _one_line(_type_name(kind), message)
        return f"app raised {line} (answered as a server would: raise_server_exceptions=False)"
    return ""


# -- websockets ----------------------------------------------------------------------------


def _format_websocket(number: int, record: WebSocketRecord, show_secrets: bool) -> List[str]:
    outcome = record.outcome
    if outcome is None:
        what = "handshake not finished"
    elif outcome[0] == "accepted":
        what = "accepted" + (f", subprotocol {outcome[1]!r}" if outcome[1] is not None else "")
    else:
        what = f"handshake raised {exception_line(outcome[1])}"
    if record.seconds is not None:
        what += f", closed after {_seconds(record.seconds)}"
    elif outcome is not None and outcome[0] == "accepted":
        what += ", still open"
    lines = [f"[{number}] WEBSOCKET {record.url} -> {what}"]
    request = record.request
    if request is not None:
        lines.extend(_headers("handshake headers", request.headers.items(), show_secrets))
    if outcome is not None and outcome[0] == "failed":
        response = getattr(outcome[1], "response", None)
        if response is not None:  # a denial response
            lines.extend(_headers("denial response headers", response.headers.items(), show_secrets))
            lines.extend(_body("denial response body", response.content, response.headers.get("content-type")))
    if record.count:
        shown = len(record.messages)
        heading = "messages (> sent by the test, < received from the app)"
        if shown < record.count:
            heading += f", the last {shown} of {record.count}"
        lines.append(f"  {heading}:")
        lines.extend(f"{_INDENT}{direction} {_message(message)}" for direction, message in record.messages)
    if record.end_error is not None:
        lines.append(f"  closing raised {exception_line(record.end_error)}")
    return lines


def _message(message: Any) -> str:
    if isinstance(message, BaseException):
        return f"raised {exception_line(message)}"
    kind = message.get("type", "?")
    details = []
    if message.get("text") is not None:
        details.append(f"text {_cut(repr(message['text']), MESSAGE_TEXT_LIMIT)}")
    elif message.get("bytes") is not None:
        data = message["bytes"]
        details.append(f"bytes ({len(data)}) {_cut(repr(bytes(data)), MESSAGE_TEXT_LIMIT)}")
    for key in ("code", "reason"):
        if message.get(key) not in (None, ""):
            details.append(f"{key}={message[key]!r}")
    return " ".join([kind, *details])


# -- pieces --------------------------------------------------------------------------------


def _duration(seconds: Optional[float]) -> str:
    return "" if seconds is None else f" ({_seconds(seconds)})"


def _seconds(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _headers(title: str, items: Iterable[Tuple[Any, Any]], show_secrets: bool) -> List[str]:
    lines = [f"  {title}:"]
    for name, value in items:
        name, value = _str(name), _str(value)
        if not show_secrets and name.lower() in SECRET_HEADERS:
            value = MASK
        lines.append(f"{_INDENT}{name}: {value}")
    return lines if len(lines) > 1 else []


def _str(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def _body(
    title: str,
    data: bytes,
    content_type: Optional[str],
    encoding: Optional[str] = None,
    size: Optional[int] = None,
    note: str = "",
) -> List[str]:
    """``title`` with the body's type and size (or ``note``), then an
    excerpt of ``data``, the first bytes of a body of ``size`` bytes."""
    size = len(data) if size is None else size
    media = (content_type or "").split(";")[0].strip().lower()
    about = ", ".join(part for part in (media, note or f"{size} bytes") if part)
    if not size:
        return [f"  {title}: (empty)"]
    text = _as_text(data, media, content_type or "", encoding)
    if text is None:
        return [f"  {title}: binary, {about}"]
    unit, left = "bytes", size - len(data)
    if _is_json(media) and not left:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
            unit = "characters"
        except ValueError:
            pass
    if len(text) > BODY_LIMIT:
        cut = text[:BODY_LIMIT]
        if unit == "characters":
            more = len(text) - BODY_LIMIT
        else:
            more = size - len(cut.encode(encoding or "utf-8", "replace"))
        text = f"{cut}… ({more} more {unit})"
    elif left:
        text = f"{text}… ({left} more bytes)"
    lines = [f"  {title} ({about}):"]
    lines.extend(f"{_INDENT}{line}" for line in text.splitlines() or [""])
    return lines


def _is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json")


def _as_text(data: bytes, media: str, content_type: str, encoding: Optional[str]) -> Optional[str]:
    """``data`` decoded, or ``None`` if it looks binary."""
    declared = encoding if "charset=" in content_type.lower() else None
    if declared or media.startswith("text/") or media in _TEXT_TYPES or media.endswith(("+json", "+xml")):
        try:
            return data.decode(declared or "utf-8", "replace")
        except LookupError:  # an unknown charset
            return data.decode("utf-8", "replace")
    try:
        # A cut may fall inside a character: decode what is whole.
        text = data.decode("utf-8") if len(data) < 4 else _decode_head(data)
    except UnicodeDecodeError:
        return None
    if any(ord(char) < 32 and char not in "\t\n\r" for char in text):
        return None
    return text


def _decode_head(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(data) - 3:
            raise
        return data[: exc.start].decode("utf-8")


def _type_name(kind: type) -> str:
    module, name = kind.__module__, kind.__qualname__
    if module in ("builtins", "__main__"):
        return name
    if module.startswith("asgi_testclient._"):
        import asgi_testclient

        if getattr(asgi_testclient, name, None) is kind:
            return f"asgi_testclient.{name}"  # where users import it from
    return f"{module}.{name}"


def _one_line(name: str, message: str) -> str:
    message = " ".join(message.split())
    return f"{name}: {_cut(message, ERROR_LIMIT)}" if message else name


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else f"{text[:limit]}…"


def exception_line(exc: BaseException) -> str:
    """``module.Type: message`` on one line."""
    try:
        message = str(exc)
    except Exception:  # noqa: BLE001 - a broken __str__ must not hide the report
        message = "(its message could not be read)"
    return _one_line(_type_name(type(exc)), message)
