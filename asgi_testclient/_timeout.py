"""What requests accepts as ``timeout=``, read as the one number the client uses.

The client has no connection to make: of a ``(connect, read)`` pair or a
urllib3 ``Timeout`` only the read part applies, to every wait for the app.
"""

from typing import Optional, Tuple, Union

from urllib3.util import Timeout

TimeoutArg = Union[None, float, Tuple[Optional[float], Optional[float]], Timeout]


def read_timeout(timeout: TimeoutArg) -> Optional[float]:
    """The read part of anything requests accepts as ``timeout=``."""
    if timeout is None:
        return None
    if isinstance(timeout, Timeout):
        # What urllib3 would allow a read on a connection made just now
        # (``total`` bounds it too). Unset parts are sentinels, not numbers:
        # ``Timeout()`` and ``Timeout(read=None)`` wait without a limit.
        started = timeout.clone()
        started.start_connect()
        value = started.read_timeout
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        return float(value)
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise ValueError(
                f"Invalid timeout {timeout!r}. Pass a (connect, read) timeout tuple, or a single float"
            )
        timeout = timeout[1]
        if timeout is None:
            return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise ValueError(f"Invalid timeout {timeout!r}: it must be a number of seconds, a tuple or None")
    if timeout <= 0:
        raise ValueError(f"Invalid timeout {timeout!r}: it must be greater than zero")
    return float(timeout)
