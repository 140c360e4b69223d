"""The apps under test, written for today's Starlette and FastAPI."""

import contextlib
from pathlib import Path

from fastapi import Depends, FastAPI, File, Form, UploadFile
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route, WebSocketRoute
from starlette.templating import Jinja2Templates
from starlette.websockets import WebSocket

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
events = []


@contextlib.asynccontextmanager
async def lifespan(app):
    events.append("startup")
    app.state.ready = True
    yield
    app.state.ready = False
    events.append("shutdown")


async def home(request: Request) -> JSONResponse:
    return JSONResponse({"hello": "world", "q": request.query_params.get("q")})


async def form(request: Request) -> JSONResponse:
    async with request.form() as data:
        fields = {}
        for name, value in data.multi_items():
            if isinstance(value, str):
                fields[name] = value
            else:
                content = (await value.read()).decode()
                fields[name] = {"filename": value.filename, "content": content, "type": value.content_type}
    return JSONResponse(fields)


async def raw(request: Request) -> JSONResponse:
    body = await request.body()
    return JSONResponse({"body": body.decode("latin-1"), "type": request.headers.get("content-type")})


async def old(request: Request) -> RedirectResponse:
    return RedirectResponse("/?q=moved", status_code=302)


async def login(request: Request) -> JSONResponse:
    response = JSONResponse({"logged_in": True})
    response.set_cookie("session", "abc123")
    return response


async def whoami(request: Request) -> JSONResponse:
    return JSONResponse({"session": request.cookies.get("session")})


async def ready(request: Request) -> JSONResponse:
    return JSONResponse({"ready": getattr(request.app.state, "ready", False)})


async def page(request: Request):
    return templates.TemplateResponse(request, "page.html", {"title": "Welcome"})


async def boom(request: Request):
    raise RuntimeError("the shop is on fire")


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_json({"hello": "websocket"})
    number = (await websocket.receive_json())["n"]
    await websocket.send_json({"n": number + 1})
    await websocket.close()


async def closing(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.close(code=1008)


app = Starlette(
    routes=[
        Route("/", home),
        Route("/form", form, methods=["POST"]),
        Route("/raw", raw, methods=["POST"]),
        Route("/old", old),
        Route("/login", login),
        Route("/whoami", whoami),
        Route("/ready", ready),
        Route("/page", page),
        Route("/boom", boom),
        WebSocketRoute("/ws", echo),
        WebSocketRoute("/ws/closing", closing),
    ],
    lifespan=lifespan,
)


api = FastAPI()
security = HTTPBasic()


@api.get("/items/{item_id}")
async def read_item(item_id: int):
    return {"id": item_id}


@api.post("/items", status_code=201)
async def create_item(item: dict):
    return {"created": item}


@api.post("/upload")
async def upload(owner: str = Form(...), file: UploadFile = File(...)):
    return {"owner": owner, "filename": file.filename, "size": len(await file.read())}


@api.get("/me")
async def me(credentials: HTTPBasicCredentials = Depends(security)):
    return {"user": credentials.username}
