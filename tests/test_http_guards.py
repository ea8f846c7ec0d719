"""The ASGI guard: headers on every response (streamed ones too, routes added later too), big bodies refused."""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from assistant.http_guards import SECURITY_HEADERS, SecurityHeaders


def _app() -> Starlette:
    async def page(request):
        return PlainTextResponse("trang", headers={"x-frame-options": "DENY"})  # a route's own value wins

    async def stream(request):
        async def events():
            for n in range(3):
                yield f"data: {n}\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    async def echo(request):
        return PlainTextResponse(str(len(await request.body())))

    app = Starlette(
        routes=[Route("/", page), Route("/stream", stream), Route("/echo", echo, methods=["POST"])],
        middleware=[Middleware(SecurityHeaders, max_body_bytes=1000)],
    )
    app.add_route("/later", lambda request: PlainTextResponse("sau"))  # mounted after creation
    return app


def test_headers_on_every_route_including_streams_and_404s():
    client = TestClient(_app())
    for path in ("/stream", "/later", "/khong-co"):
        resp = client.get(path)
        for name, value in SECURITY_HEADERS.items():
            assert resp.headers[name] == value, (path, name)
    assert client.get("/stream").text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"
    page = client.get("/")
    assert page.headers["x-frame-options"] == "DENY" and page.headers["x-content-type-options"] == "nosniff"
    assert len(page.headers.get_list("x-frame-options")) == 1


def test_bodies_over_the_limit_are_refused_in_vietnamese():
    client = TestClient(_app())
    assert client.post("/echo", content=b"x" * 1000).text == "1000"
    resp = client.post("/echo", content=b"x" * 1001)
    assert resp.status_code == 413 and resp.text.startswith("Yêu cầu quá lớn")
    assert resp.headers["referrer-policy"] == "no-referrer"
