"""`motcua residents-sim`: a real HTTP population-database service over the synthetic population, with faults.

Faults make the registry slow or broken on purpose, so that every failure the client must survive can be
shown: `latency` (answer after a delay), `error` (HTTP 500), `busy` (HTTP 503, which the client may retry),
`hang` (accept the request and never answer) and `malformed` (HTTP 200 with a truncated body). A fault is
chosen per request (header `X-Sim-Fault: hang` or `latency=800`) or per server: rules given at start or added
at run time with `PUT /_sim/faults` (`{"mode", "latency_ms", "identity_number", "count"}`), removed with
`DELETE /_sim/faults`. `GET /_sim/sample?start=&count=` lists synthetic people to try; `GET /_sim/stats`
counts lookups. Every route asks for the bearer token when the simulator has one.

Nothing it logs names a person: only the method, the path and the status.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from engine.residents.matching import answer
from integrations.residents.population import Population
from integrations.residents.wire import LOOKUP_PATH, Malformed, decode_request, encode_resident, encode_result

log = logging.getLogger("motcua.residents.sim")

API_PREFIX = "/api/v1"
MAX_BODY = 64 * 1024
SAMPLE_MAX = 100


class FaultMode(StrEnum):
    """How the simulator misbehaves."""

    LATENCY = "latency"
    ERROR = "error"
    BUSY = "busy"
    HANG = "hang"
    MALFORMED = "malformed"


@dataclass
class FaultRule:
    """A server-side fault: for every lookup (or only of one number), for `count` lookups or until cleared."""

    mode: FaultMode
    latency_ms: int = 0
    identity_number: str | None = None
    count: int | None = None

    @classmethod
    def parse(cls, text: str, identity_number: str | None = None) -> FaultRule:
        """`hang`, `error`, `busy`, `malformed` or `latency=<ms>` (the header's and the CLI's syntax)."""
        mode, _, value = text.strip().partition("=")
        rule = cls(FaultMode(mode.strip()), identity_number=identity_number)
        if rule.mode is FaultMode.LATENCY:
            rule.latency_ms = int(value or 1000)
        return rule


class Simulator:
    """The service on a loopback (or given) address, in a background thread."""

    def __init__(
        self,
        population: Population,
        *,
        token: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        faults: list[FaultRule] | None = None,
        hang_seconds: float = 60.0,
    ) -> None:
        self.population = population
        self.token = token
        self.hang_seconds = hang_seconds
        self.stats: Counter[str] = Counter()
        self._faults: list[FaultRule] = list(faults or [])
        self._lock = threading.Lock()
        self._release = threading.Event()
        self.server = ThreadingHTTPServer((host, port), _handler(self))
        self.server.daemon_threads = True
        self._thread = threading.Thread(target=self.server.serve_forever, name="residents-sim", daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the API (the client appends the lookup path)."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{API_PREFIX}"

    def start(self) -> Simulator:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread (the CLI) until interrupted."""
        try:
            self.server.serve_forever()
        finally:
            self._release.set()
            self.server.server_close()

    def stop(self) -> None:
        """Release hanging requests, stop serving, close the socket."""
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def add_fault(self, rule: FaultRule) -> None:
        """Add a server-side fault rule."""
        with self._lock:
            self._faults.append(rule)

    def clear_faults(self) -> None:
        """Answer normally again (hanging requests are released)."""
        with self._lock:
            self._faults.clear()
        self._release.set()
        self._release = threading.Event()

    def fault_for(self, number: str, header: str | None) -> FaultRule | None:
        """The fault that applies to this lookup: the request's header first, then the first matching rule."""
        if header:
            return FaultRule.parse(header)
        with self._lock:
            for rule in self._faults:
                if rule.identity_number not in (None, number):
                    continue
                if rule.count is not None:
                    rule.count -= 1
                    if rule.count <= 0:
                        self._faults.remove(rule)
                return rule
        return None

    def count(self, key: str) -> None:
        """Add one to a statistic (`lookups`, `found`, `fault:hang`, ...)."""
        with self._lock:
            self.stats[key] += 1

    def wait_hanging(self) -> None:
        """Hold a request until released (clear_faults, stop) or `hang_seconds` passed."""
        self._release.wait(self.hang_seconds)


def _handler(sim: Simulator) -> type[BaseHTTPRequestHandler]:
    """The request handler class bound to one simulator."""
    return type("Handler", (_Handler,), {"sim": sim})


class _Handler(BaseHTTPRequestHandler):
    """One request: the lookup, the fault controls, the sample and the stats."""

    sim: Simulator
    protocol_version = "HTTP/1.1"
    # Headers and body leave in two writes; with Nagle's algorithm on, the second waits for the client's
    # delayed ACK (~40 ms per keep-alive request on Linux loopback).
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 — the base class's name
        log.debug("%s %s", self.command, urlsplit(self.path).path)

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True  # the client gave up waiting (a latency or hang fault): expected

    def _json(self, status: int, data: object, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode("utf-8"), headers)

    def _error(self, status: int, code: str, message: str) -> None:
        self._json(status, {"maLoi": code, "loi": message})

    def _authorized(self) -> bool:
        if self.sim.token is None:
            return True
        given = self.headers.get("Authorization", "")
        if hmac.compare_digest(given.encode(), f"Bearer {self.sim.token}".encode()):
            return True
        self._error(401, "CHUA_XAC_THUC", "Thiếu hoặc sai mã truy cập (Authorization: Bearer …).")
        return False

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise Malformed("body: too large")
        try:
            return json.loads(self.rfile.read(length) or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            raise Malformed("body: not JSON") from exc

    def do_POST(self) -> None:
        if not self._authorized():
            return
        path = urlsplit(self.path).path
        if path == API_PREFIX + LOOKUP_PATH:
            self._lookup()
        else:
            self._error(404, "KHONG_TON_TAI", "Không có dịch vụ này.")

    def do_PUT(self) -> None:
        if not self._authorized():
            return
        if urlsplit(self.path).path != "/_sim/faults":
            self._error(404, "KHONG_TON_TAI", "Không có dịch vụ này.")
            return
        try:
            data = self._body()
            rule = FaultRule(
                mode=FaultMode(data["mode"]),
                latency_ms=int(data.get("latency_ms") or 0),
                identity_number=data.get("identity_number"),
                count=data.get("count"),
            )
        except (Malformed, KeyError, ValueError, TypeError, AttributeError):
            self._error(400, "YEU_CAU_KHONG_HOP_LE", "Cần {mode, latency_ms?, identity_number?, count?}.")
            return
        self.sim.add_fault(rule)
        self._json(200, {"faults": "added"})

    def do_DELETE(self) -> None:
        if not self._authorized():
            return
        if urlsplit(self.path).path != "/_sim/faults":
            self._error(404, "KHONG_TON_TAI", "Không có dịch vụ này.")
            return
        self.sim.clear_faults()
        self._json(200, {"faults": "cleared"})

    def do_GET(self) -> None:
        if not self._authorized():
            return
        parts = urlsplit(self.path)
        if parts.path == "/_sim/stats":
            self._json(200, dict(self.sim.stats))
        elif parts.path == "/_sim/sample":
            query = parse_qs(parts.query)
            start = int((query.get("start") or ["0"])[0])
            count = min(int((query.get("count") or ["5"])[0]), SAMPLE_MAX)
            people = self.sim.population.people(max(0, start), count)
            self._json(
                200, {"size": len(self.sim.population), "people": [encode_resident(p) for p in people]}
            )
        else:
            self._error(404, "KHONG_TON_TAI", "Không có dịch vụ này.")

    def _lookup(self) -> None:
        try:
            request = decode_request(self._body())
        except Malformed as exc:
            self._error(400, "YEU_CAU_KHONG_HOP_LE", str(exc))
            return
        fault = self.sim.fault_for(request.identity_number, self.headers.get("X-Sim-Fault"))
        self.sim.count("lookups")
        if fault is not None:
            self.sim.count(f"fault:{fault.mode.value}")
            if self._misbehave(fault, request.request_id):
                return
        result = answer(self.sim.population.find(request.identity_number), request)
        self.sim.count(result.status.value)
        self._json(200, encode_result(request.request_id, result))

    def _misbehave(self, fault: FaultRule, request_id: str) -> bool:
        """Apply a fault; True when the request got its (bad) answer and nothing more is sent."""
        if fault.mode is FaultMode.LATENCY:
            threading.Event().wait(fault.latency_ms / 1000)
            return False
        if fault.mode is FaultMode.ERROR:
            self._error(500, "LOI_HE_THONG", "Lỗi hệ thống, vui lòng thử lại sau.")
        elif fault.mode is FaultMode.BUSY:
            self._json(503, {"maLoi": "QUA_TAI", "loi": "Hệ thống đang quá tải."}, {"Retry-After": "1"})
        elif fault.mode is FaultMode.MALFORMED:
            self._send(
                200, f'{{"maYeuCau": "{request_id}", "ketQua": "TIM_THAY", "congDan": {{"soDi'.encode()
            )
        else:
            self.sim.wait_hanging()
            self.close_connection = True
        return True
