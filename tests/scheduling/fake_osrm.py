"""A fake OSRM ``table`` service on loopback, answering in OSRM's real JSON format.

``GET /table/v1/{profile}/{lng,lat;lng,lat...}?sources=i;j&destinations=k;l&annotations=duration``
→ ``{"code": "Ok", "durations": [[seconds]], "sources": [Waypoint], "destinations": [Waypoint]}``.
Durations are straight-line metres at ``speed_mps`` (deterministic, so tests can predict them).
Errors follow OSRM: HTTP 400 with ``{"code": "InvalidQuery" | "TooBig" | ..., "message": ...}``.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response


def straight_line_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """Great-circle metres (the fake's own formula, independent of the code under test)."""
    r = 6_371_008.8
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log in test output."""


@dataclass
class FakeOsrm:
    """State and behaviour of the fake; flip the knobs between requests."""

    speed_mps: float = 10.0
    max_table_size: int = 100
    unreachable: set[tuple[float, float]] = field(default_factory=set)
    fail_status: int | None = None
    fail_body: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: BaseWSGIServer | None = None
    _thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the running fake."""
        assert self._server is not None, "fake OSRM not started"
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> FakeOsrm:
        """Serve on an ephemeral loopback port in a daemon thread."""
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True, request_handler=_Quiet)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut down and release the port."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def expected_seconds(self, origin: tuple[float, float], dest: tuple[float, float]) -> float:
        """What the fake answers for (lng, lat) → (lng, lat)."""
        return round(straight_line_m(*origin, *dest) / self.speed_mps, 1)

    @staticmethod
    def _error(code: str, message: str) -> Response:
        body = json.dumps({"code": code, "message": message})
        return Response(body, status=400, mimetype="application/json")

    def _app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = Request(environ)
        self.requests.append({"path": request.path, "args": dict(request.args)})
        response = self._handle(request)
        return response(environ, start_response)

    def _handle(self, request: Request) -> Response:
        if self.fail_status is not None:
            return Response(self.fail_body, status=self.fail_status, mimetype="application/json")
        parts = request.path.strip("/").split("/")
        if len(parts) != 4 or parts[0] != "table" or parts[1] != "v1":
            return self._error("InvalidUrl", "URL string malformed")
        try:
            coords = [tuple(float(x) for x in pair.split(",")) for pair in parts[3].split(";")]
            if any(len(c) != 2 for c in coords):
                raise ValueError
            sources = [int(i) for i in request.args.get("sources", "").split(";")]
            targets = [int(i) for i in request.args.get("destinations", "").split(";")]
        except ValueError:
            return self._error("InvalidQuery", "Query string malformed")
        if request.args.get("annotations", "duration") != "duration":
            return self._error("InvalidOptions", "only durations are served by this fake")
        if len(coords) > self.max_table_size:
            return self._error("TooBig", "Too many table coordinates")
        if any(not 0 <= i < len(coords) for i in [*sources, *targets]):
            return self._error("InvalidOptions", "Index out of range")
        durations: list[list[float | None]] = []
        for i in sources:
            row: list[float | None] = []
            for j in targets:
                a, b = coords[i], coords[j]
                if a in self.unreachable or b in self.unreachable:
                    row.append(None)
                else:
                    row.append(self.expected_seconds((a[0], a[1]), (b[0], b[1])))
            durations.append(row)

        def waypoint(index: int) -> dict[str, Any]:
            lng, lat = coords[index]
            return {"hint": "AAAA", "distance": 0.0, "name": "", "location": [lng, lat]}

        body = {
            "code": "Ok",
            "durations": durations,
            "sources": [waypoint(i) for i in sources],
            "destinations": [waypoint(j) for j in targets],
        }
        return Response(json.dumps(body), status=200, mimetype="application/json")
