"""A small ASGI app with no framework, for trying the client out.

    python -m asgi_testclient examples.app:app /hello
    python -m asgi_testclient examples.app:app POST /echo -d 'some data' --lifespan
"""

import json


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["started"] = True
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    body = b""
    more_body = True
    while more_body:
        message = await receive()
        body += message.get("body", b"")
        more_body = message.get("more_body", False)
    if scope["path"] == "/hello":
        status, payload = 200, {"hello": "world", "lifespan": scope.get("state", {}).get("started", False)}
    elif scope["path"] == "/echo":
        status, payload = 200, {"method": scope["method"], "body": body.decode("utf-8", "replace")}
    else:
        status, payload = 404, {"error": f"no route for {scope['path']}"}
    data = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": data})
