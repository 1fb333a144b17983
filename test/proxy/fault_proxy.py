#!/usr/bin/env python3
"""AmiRotator's fault-injecting proxy: between the function and the EC2 emulator, it does to EC2 API calls what a
bad night on AWS does.

    python3 test/proxy/fault_proxy.py --upstream http://127.0.0.1:5000 --port 0 --port-file /tmp/p

It forwards every request to --upstream unchanged, except as configured through POST /_proxy/config (JSON; every
field optional, a field left out keeps its value; "reset": true first restores the defaults):

    seed            int     the random generator's seed (faults are reproducible for one sequence of calls)
    throttle        0..1    answer RequestLimitExceeded without forwarding (HTTP 503, EC2's XML error body)
    throttleFirst   int     throttle exactly the first N calls of each action the faults apply to, then go by the rates
    lostFirst       int     likewise, answer the first N forwarded calls of each action with 500 (after throttleFirst)
    dropFirst       int     likewise, drop the connection of the first N forwarded calls of each action (after lostFirst)
    lost            0..1    forward, then answer 500 InternalError instead of the real answer (the work is done)
    drop            0..1    forward, then close the connection without any answer
    latencyMs       int     wait this long before forwarding
    stormSeconds    float   the rates above apply only for this long after this config call (0: always)
    buckets         bool    enforce EC2's published per-action token buckets (ec2/latest/devguide/ec2-api-throttling)
    actions         [str]   apply faults only to these actions (default: every action)
    holdAfterMutations int  after this many mutating calls (non-dry-run CreateImage, CopyImage, DeregisterImage,
                            DeleteSnapshot, CreateTags) have been forwarded, hold every further one: it is neither
                            forwarded nor answered until the config changes (then it is dropped). Lets a test
                            kill the function at an exact point.

GET /_proxy/stats answers {"calls": {action: {"forwarded", "throttled", "lost", "dropped", "held"}},
"mutations": forwarded mutating calls, "held": calls held now}. POST /_proxy/reset clears stats and config.
Once listening it prints FAULT_PROXY_URL=http://HOST:PORT (and writes the port to --port-file).

Throttling on EC2: "If you exceed an API throttling limit, you get the RequestLimitExceeded error code"
[ec2/latest/devguide/ec2-api-throttling]; EC2 answers it with HTTP 503 Service Unavailable and the usual
<Response><Errors><Error> body [AWSEC2/latest/APIReference/errors-overview].
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MUTATIONS = {"CreateImage", "CopyImage", "DeregisterImage", "DeleteSnapshot", "CreateTags"}

# [ec2/latest/devguide/ec2-api-throttling] Resource-intensive and other buckets: (capacity, refill per second).
BUCKETS = {
    "CreateImage": (50, 5.0),
    "CopyImage": (100, 1.0),
    "DeregisterImage": (100, 5.0),
    "DeleteSnapshot": (100, 5.0),
    "CreateTags": (100, 10.0),
    "DeleteTags": (100, 10.0),
}
NON_MUTATING = (100, 20.0)   # Describe* and other reads
OTHER_MUTATING = (50, 5.0)   # the default for mutating actions not listed

_CREDENTIAL = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/")
DEFAULTS: dict[str, Any] = {
    "seed": 1, "throttle": 0.0, "lost": 0.0, "drop": 0.0, "latencyMs": 0, "stormSeconds": 0.0,
    "buckets": False, "actions": None, "holdAfterMutations": None, "throttleFirst": 0,
    "lostFirst": 0, "dropFirst": 0,
}


class Bucket:
    def __init__(self, capacity: int, rate: float) -> None:
        self.capacity, self.rate, self.tokens, self.last = capacity, rate, float(capacity), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Proxy:
    def __init__(self, upstream: str) -> None:
        parsed = urllib.parse.urlsplit(upstream)
        self.upstream_host, self.upstream_port = parsed.hostname, parsed.port or 80
        self.lock = threading.Condition()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.config = dict(DEFAULTS)
            self.random = random.Random(self.config["seed"])
            self.storm_until = None
            self.firsts: dict[tuple[str, str], int] = {}
            self.buckets: dict[tuple[str, str], Bucket] = {}
            self.stats: dict[str, dict[str, int]] = {}
            self.mutations = 0
            self.held = 0
            self.generation = 0
            self.lock.notify_all()

    def configure(self, body: dict[str, Any]) -> None:
        with self.lock:
            if body.get("reset"):
                self.config = dict(DEFAULTS)
            for key, value in body.items():
                if key != "reset":
                    if key not in DEFAULTS:
                        raise ValueError(f"unknown field {key}")
                    self.config[key] = value
            self.random = random.Random(self.config["seed"])
            storm = float(self.config["stormSeconds"] or 0)
            self.storm_until = time.monotonic() + storm if storm > 0 else None
            self.firsts: dict[tuple[str, str], int] = {}
            self.generation += 1  # releases (drops) held calls
            self.lock.notify_all()

    def count(self, action: str, what: str) -> None:
        self.stats.setdefault(action, {"forwarded": 0, "throttled": 0, "lost": 0, "dropped": 0, "held": 0})[what] += 1

    def decide(self, action: str, region: str, mutating: bool) -> str:
        """forward | throttle | lost | drop | hold, under the lock."""
        config = self.config
        if mutating and config["holdAfterMutations"] is not None and self.mutations >= int(config["holdAfterMutations"]):
            return "hold"
        if config["buckets"]:
            capacity, rate = BUCKETS.get(action) or (OTHER_MUTATING if mutating else NON_MUTATING)
            bucket = self.buckets.setdefault((region, action), Bucket(capacity, rate))
            if not bucket.take():
                return "throttle"
        in_storm = self.storm_until is None or time.monotonic() < self.storm_until
        applies = in_storm and (config["actions"] is None or action in config["actions"])
        decision = "forward"
        if applies:
            # Exact faults first, per action: N throttles, then N lost answers, then N drops.
            for kind, exact in (("throttleFirst", "throttle"), ("lostFirst", "lost"), ("dropFirst", "drop")):
                done = self.firsts.get((action, kind), 0)
                if done < int(config[kind] or 0):
                    self.firsts[(action, kind)] = done + 1
                    if mutating and exact != "throttle":
                        self.mutations += 1
                    return exact
        if applies:
            roll = self.random.random()
            if roll < config["throttle"]:
                return "throttle"
            roll = self.random.random()
            if roll < config["lost"]:
                decision = "lost"
            elif roll < config["lost"] + config["drop"]:
                decision = "drop"
        if mutating:
            # Counted when decided, under the lock: concurrent calls can't all slip past holdAfterMutations.
            self.mutations += 1
        return decision


PROXY: Proxy


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_: Any) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        self.handle_any()

    def do_POST(self) -> None:  # noqa: N802
        self.handle_any()

    def handle_any(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.startswith("/_proxy/"):
            self.control(body)
            return
        action, region, dry_run = describe(self.path, self.headers, body)
        mutating = action in MUTATIONS and not dry_run
        with PROXY.lock:
            decision = PROXY.decide(action, region, mutating)
            if decision == "hold":
                PROXY.count(action, "held")
                PROXY.held += 1
                generation = PROXY.generation
                while PROXY.generation == generation:
                    PROXY.lock.wait()
                PROXY.held -= 1
            elif decision == "throttle":
                PROXY.count(action, "throttled")
            latency = PROXY.config["latencyMs"]
        if decision == "hold":
            # Released: whoever sent it is gone (the test killed it); never forward what nobody waits for.
            self.hang_up()
            return
        if decision == "throttle":
            self.error(503, "RequestLimitExceeded", "Request limit exceeded.")
            return
        if latency:
            time.sleep(latency / 1000.0)
        status, headers, payload = self.forward(body)
        with PROXY.lock:
            PROXY.count(action, {"forward": "forwarded", "lost": "lost", "drop": "dropped"}[decision])
        if decision == "lost":
            self.error(500, "InternalError", "An internal error has occurred.")
        elif decision == "drop":
            self.hang_up()
        else:
            self.send_response_only(status)
            for key, value in headers:
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    def hang_up(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def forward(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(PROXY.upstream_host, PROXY.upstream_port, timeout=120)
        try:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection",)}
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def error(self, status: int, code: str, message: str) -> None:
        payload = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{code}</Code><Message>{message}</Message></Error></Errors>"
            f"<RequestID>{uuid.uuid4()}</RequestID></Response>"
        ).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "text/xml;charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def control(self, body: bytes) -> None:
        path = self.path.rstrip("/")
        status, answer = 200, {"ok": True}
        try:
            if path == "/_proxy/config" and self.command == "POST":
                PROXY.configure(json.loads(body or b"{}"))
            elif path == "/_proxy/reset" and self.command == "POST":
                PROXY.reset()
            elif path == "/_proxy/stats":
                with PROXY.lock:
                    answer = {"calls": PROXY.stats, "mutations": PROXY.mutations, "held": PROXY.held}
            elif path == "/_proxy/health":
                pass
            else:
                status, answer = 404, {"error": f"no such endpoint {self.command} {path}"}
        except (ValueError, TypeError) as error:
            status, answer = 400, {"error": str(error)}
        data = json.dumps(answer).encode()
        self.send_response_only(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def describe(path: str, headers: Any, body: bytes) -> tuple[str, str, bool]:
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    form = urllib.parse.parse_qs(body.decode("utf-8", "replace")) if body else {}
    action = (query.get("Action") or form.get("Action") or ["?"])[0]
    dry_run = (query.get("DryRun") or form.get("DryRun") or ["false"])[0].lower() == "true"
    match = _CREDENTIAL.search(headers.get("Authorization", ""))
    return action, match.group(1) if match else "?", dry_run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file")
    parser.add_argument("--exit-on-stdin-eof", action="store_true")
    args = parser.parse_args(argv)

    global PROXY
    PROXY = Proxy(args.upstream)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w", encoding="utf-8") as handle:
            handle.write(f"{port}\n")
        os.replace(args.port_file + ".tmp", args.port_file)
    print(f"FAULT_PROXY_URL=http://{args.host}:{port}", flush=True)
    if args.exit_on_stdin_eof:
        def watch() -> None:
            while sys.stdin.buffer.read(4096):
                pass
            os._exit(0)
        threading.Thread(target=watch, daemon=True).start()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
