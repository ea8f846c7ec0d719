"""ASGI middleware guarding every HTTP route of the web app (Gradio's and any mounted beside them).

Pure ASGI rather than Starlette's BaseHTTPMiddleware, so streamed answers (SSE) pass through
untouched: only the response start gets the headers.
"""

from __future__ import annotations

from typing import Any

# Browsers must not guess content types (an uploaded .txt rendered as HTML), frame the app on another
# site (clickjacking), or send the app's URLs (with their query strings) to other sites.
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "content-security-policy": "frame-ancestors 'self'",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
}
TOO_LARGE = "Yêu cầu quá lớn (tối đa {limit:g} MB)."


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response (unless the route set one itself), and refuses
    request bodies over `max_body_bytes` with 413 before they are read: Gradio's own upload limit
    would answer in English, so uploads are checked per file, in Vietnamese, by the upload handler,
    and this only bounds what a client can make the server write to its temporary folder."""

    def __init__(self, app, max_body_bytes: int | None = None):
        self.app, self.max_body_bytes = app, max_body_bytes
        self._headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in SECURITY_HEADERS.items()]

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *((k, v) for k, v in self._headers if k not in present),
                ]
            await send(message)

        if self.max_body_bytes is not None and self._declared_length(scope) > self.max_body_bytes:
            body = TOO_LARGE.format(limit=self.max_body_bytes / 1e6).encode("utf-8")
            await send_with_headers(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [
                        (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, self._counting(receive), send_with_headers)

    @staticmethod
    def _declared_length(scope: dict) -> int:
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    return int(value)
                except ValueError:
                    return 0
        return 0

    def _counting(self, receive):
        """A body sent without Content-Length (chunked) is cut off once it passes the limit."""
        if self.max_body_bytes is None:
            return receive
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body_bytes:
                    return {"type": "http.disconnect"}
            return message

        return counted
