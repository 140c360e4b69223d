"""The contract's app (see ``contract.py``) written with Django, served by
``django.core.asgi.get_asgi_application()``.

Django's settings and URLconf are process-wide: the settings are configured
once, when this module is first imported, with this module as the URLconf;
the views write to the module's ``LOG``, which :func:`build` hands over.
The views are async (sync views would run in asgiref's worker threads).
"""

from typing import Any, AsyncIterator, Callable, Dict, List, TypeVar

import anyio
import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        # Let the view's exception reach the server, as the other apps do,
        # instead of answering it with Django's own 500 page.
        DEBUG_PROPAGATE_EXCEPTIONS=True,
        SECRET_KEY="not-a-secret",
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=[],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ],
        # Sessions in a signed cookie: no database needed.
        SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies",
        # Leave the process's logging alone.
        LOGGING_CONFIG=None,
        USE_TZ=True,
    )
    django.setup()

# Imported once the settings are configured.
from django.core.asgi import get_asgi_application
from django.core.handlers.asgi import ASGIHandler
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import path

from .contract import BOOM_MESSAGE, SSE_INTERVAL, STREAM_CHUNKS, Boom, Missing

MISSING: Missing = {
    "lifespan": "Django has no lifespan: its ASGI handler refuses every scope but 'http'",
    "websockets": "Django has no websockets: its plain ASGI handler refuses every scope but 'http'"
    " (websockets need Channels)",
    "trio": "Django has no trio support: its ASGI handler calls asyncio.gather and"
    " asyncio.create_task, which fail on trio: no asyncio event loop is running there",
}
if django.VERSION < (5, 0):
    MISSING["disconnect"] = (
        "Django before 5.0 does not listen for http.disconnect while it streams a response"
        " (Django ticket #34752): the client cancels it once its grace period is over"
    )

LOG: List[str] = []

View = TypeVar("View", bound=Callable[..., Any])


def csrf_exempt(view: View) -> View:
    """Mark ``view`` exempt from CSRF checks, as ``django.views.decorators.csrf.csrf_exempt``
    does; that decorator only keeps an async view async from Django 5.0 on."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


@csrf_exempt
async def echo(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"method": request.method, "body": request.body.decode()})
    response["x-method"] = request.method
    return response


@csrf_exempt
async def form(request: HttpRequest) -> HttpResponse:
    fields = dict(request.POST.items())
    files: Dict[str, Any] = {}
    for name, upload in request.FILES.items():
        files[name] = {"filename": upload.name, "content_type": upload.content_type, "content": upload.read().decode()}
    return JsonResponse({"fields": fields, "files": files})


async def cookies(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"cookies": dict(request.COOKIES)})


async def set_cookie(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"set": "flavour"})
    response.set_cookie("flavour", "oatmeal")
    return response


async def delete_cookie(request: HttpRequest) -> HttpResponse:
    response = JsonResponse({"deleted": "flavour"})
    response.delete_cookie("flavour")
    return response


@csrf_exempt
async def login(request: HttpRequest) -> HttpResponse:
    user = request.POST["user"]
    request.session["user"] = user
    return JsonResponse({"user": user})


async def whoami(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"user": request.session.get("user")})


async def redirect(request: HttpRequest) -> HttpResponse:
    return HttpResponseRedirect("/echo")


async def stream(request: HttpRequest) -> HttpResponse:
    async def chunks() -> AsyncIterator[str]:
        for chunk in STREAM_CHUNKS:
            yield chunk

    return StreamingHttpResponse(chunks(), content_type="text/plain")


async def sse(request: HttpRequest) -> HttpResponse:
    async def events() -> AsyncIterator[str]:
        number = 0
        try:
            while True:
                yield f"data: {number}\n\n"
                number += 1
                await anyio.sleep(SSE_INTERVAL)
        finally:
            LOG.append("sse closed")

    return StreamingHttpResponse(events(), content_type="text/event-stream")


async def error(request: HttpRequest) -> HttpResponse:
    raise Boom(BOOM_MESSAGE)


urlpatterns = [
    path("echo", echo),
    path("form", form),
    path("cookies", cookies),
    path("cookies/set", set_cookie),
    path("cookies/delete", delete_cookie),
    path("login", login),
    path("whoami", whoami),
    path("redirect", redirect),
    path("stream", stream),
    path("sse", sse),
    path("error", error),
]


def build(log: List[str]) -> ASGIHandler:
    global LOG
    LOG = log
    return get_asgi_application()

