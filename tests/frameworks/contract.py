"""What every framework app in this folder serves, and what they share.

Each ``*_app`` module has ``build(log)``, returning an ASGI app with these
endpoints (same paths, same JSON shapes), and ``MISSING``, saying which
features that framework lacks and why. ``log`` is a list the app appends to
what the test cannot see in a response: ``"startup"`` and ``"shutdown"``
from the lifespan, ``"sse closed"`` when the endless event stream ends.

HTTP:

* ``GET HEAD POST PUT PATCH DELETE OPTIONS /echo``: header ``x-method`` and
  JSON ``{"method": <method>, "body": <request body as text>}``.
* ``POST /form``, urlencoded or multipart: JSON ``{"fields": {name: value},
  "files": {name: {"filename", "content_type", "content"}}}``.
* ``GET /cookies/set`` sets the cookie ``flavour=oatmeal``;
  ``GET /cookies/delete`` deletes it; ``GET /cookies`` answers
  ``{"cookies": {name: value}}`` with the cookies the request carried.
* ``POST /login`` (form field ``user``) keeps the user in the session and
  answers ``{"user": user}``; ``GET /whoami`` answers ``{"user": <user or
  null>}``. (Frameworks with sessions only.)
* ``GET /redirect``: 302 to ``/echo``.
* ``GET /state``: ``{"started": STARTED}``, the value the lifespan startup
  stored where the framework keeps lifespan state.
* ``GET /stream``: ``text/plain`` sent in the chunks of ``STREAM_CHUNKS``.
* ``GET /sse``: ``text/event-stream``, ``data: 0``, ``data: 1``, … every
  ``SSE_INTERVAL`` seconds, for ever.
* ``GET /error``: raises :class:`Boom`.

Websockets:

* ``/ws/text``: accepts, then answers each text message with ``"echo: " + text``.
* ``/ws/json``: accepts, then answers each JSON message with ``{"echo": message}``.
* ``/ws/close``: accepts, sends ``"bye"``, then closes with ``CLOSE_CODE``
  and ``CLOSE_REASON``.
"""

from typing import Dict

#: What lifespan startup stores and ``/state`` reports.
STARTED = "at startup"

#: The chunks ``/stream`` sends, one ``http.response.body`` message each.
STREAM_CHUNKS = [f"line {number}\n" for number in range(5)]

#: Seconds between two events of ``/sse``.
SSE_INTERVAL = 0.005

#: The close code and reason of ``/ws/close``.
CLOSE_CODE = 4001
CLOSE_REASON = "done"

#: Features a framework may lack: the keys of a module's ``MISSING``.
#: ("disconnect": noticing ``http.disconnect`` while streaming a response.)
FEATURES = ("sessions", "lifespan", "websockets", "trio", "disconnect")

Missing = Dict[str, str]


class Boom(Exception):
    """What ``GET /error`` raises."""


BOOM_MESSAGE = "kaboom"
