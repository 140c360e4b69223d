"""What the test sees raised by an HTTP exchange: when it ends, the app's
exception, the protocol error it made, a closed client, or nothing (the
response stands); while it waits, :class:`ExchangeTimeout`.

Read by the test thread once the app has finished or stopped sending
(``HTTPExchange.failure``); the exchange keeps the state, this module the
judgement, in the order the old client raised things.
"""

from typing import TYPE_CHECKING, Optional

from ._exceptions import ASGIProtocolError, unwrap_group

if TYPE_CHECKING:  # pragma: no cover
    from ._exchange import HTTPExchange


class ExchangeTimeout(Exception):
    """A wait of the test thread ran out (turned into ``ReadTimeout`` by the adapter)."""

    def __init__(self, waiting_for: str, timeout: float) -> None:
        super().__init__(waiting_for, timeout)
        self.waiting_for = waiting_for
        self.timeout = timeout



def failure(exchange: "HTTPExchange", raise_server_exceptions: bool) -> Optional[BaseException]:
    """What the test must see raised, now that the app has finished or
    stopped sending; ``None`` if the response stands as it is."""
    channel = exchange.channel
    with exchange.cond:
        if channel.start_error is not None:
            return channel.start_error
        if exchange.body_error is not None:
            return exchange.body_error
        if exchange.protocol_error is not None:
            return exchange.protocol_error
        if channel.loop_closed and not channel.cancelled:
            return _closed_error(exchange)
        error = channel.error
        if error is not None:
            if channel.cancelled and channel.error_is_cancellation:
                return None
            if raise_server_exceptions or not isinstance(error, Exception):
                return unwrap_group(error)
            # Turned into the response a server would send: let the
            # exception go, and with it the app's frames (and whatever
            # they hold), however long the test keeps the response.
            exchange.swallowed_error = (type(error), error.args)  # for a failure report (_traffic_format)
            channel.error, exchange.error_swallowed = None, True
            return None
        if exchange.error_swallowed:
            return None
        if not channel.finished or channel.cancelled or (exchange.disconnected and not exchange.body_complete):
            return None
        if exchange.status is None:
            if raise_server_exceptions:
                return ASGIProtocolError(
                    "TestClient did not receive any response. The app returned without"
                    " sending 'http.response.start'; an HTTP app must answer every request."
                )
            return None
        if not exchange.body_complete and exchange.strict:
            return ASGIProtocolError(
                "app returned before finishing its response body: its last"
                " 'http.response.body' message had more_body=True"
            )
        if exchange.awaiting_trailers and exchange.strict:
            return ASGIProtocolError(
                "app returned before finishing its trailers: it announced trailers=True in"
                " 'http.response.start', and no 'http.response.trailers' message had more_trailers=False"
            )
        return None


def _closed_error(exchange: "HTTPExchange") -> BaseException:
    import requests

    request = exchange.request
    scope = exchange.scope
    what = f"{request.method} {request.url}" if request is not None else f"{scope['method']} {scope['path']}"
    return requests.exceptions.ConnectionError(f"the client was closed while {what} was in flight", request=request)
