"""main(): serves the patched moto on a loopback address until SIGTERM, SIGINT or (optionally) stdin's end."""

from __future__ import annotations

import argparse
import ipaddress
import logging
import os
import signal
import sys
import threading
from typing import Any

from .middleware import create_app
from .state import STATE

LOG = logging.getLogger("amirotator_moto")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="moto_server with AmiRotator's documented-behaviour patches")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port; 0 picks a free one")
    parser.add_argument("--port-file", help="write the bound port to this file once listening")
    parser.add_argument("--exit-on-stdin-eof", action="store_true",
                        help="stop when stdin closes (lets a parent process tie our lifetime to its own)")
    parser.add_argument("--verbose", action="store_true", help="log every request")
    args = parser.parse_args(argv)

    if not _is_loopback(args.host):
        parser.error(f"--host must be a loopback address, not {args.host!r}")

    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(asctime)s %(name)s %(message)s")
    if not args.verbose:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from werkzeug.serving import make_server

    server = make_server(args.host, args.port, create_app(), threaded=True)
    port = server.server_address[1]
    os.environ.setdefault("MOTO_PORT", str(port))
    host_for_url = f"[{args.host}]" if ":" in args.host else args.host

    stop = threading.Event()

    def _shutdown(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)
    if args.exit_on_stdin_eof:
        def _watch_stdin() -> None:
            try:
                while sys.stdin.buffer.read(4096):
                    pass
            except Exception:  # noqa: BLE001
                pass
            _shutdown()

        threading.Thread(target=_watch_stdin, daemon=True).start()

    serving = threading.Thread(target=server.serve_forever, name="moto-server", daemon=True)
    serving.start()
    _warm_up(f"http://{host_for_url}:{port}")

    if args.port_file:
        tmp = f"{args.port_file}.tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(f"{port}\n")
        os.replace(tmp, args.port_file)
    print(f"AMIROTATOR_MOTO_URL=http://{host_for_url}:{port}", flush=True)

    while serving.is_alive() and not stop.wait(0.5):
        pass
    if serving.is_alive():
        server.shutdown()
    serving.join(timeout=10)
    server.server_close()
    return 0


def _warm_up(url: str) -> None:
    """moto builds its EC2 app and serializers on the first request (~2 s); pay that before we
    report ready, then leave no trace (moto reset + empty call log)."""
    import urllib.request

    auth = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0"
    try:
        request = urllib.request.Request(
            url + "/", data=b"Action=DescribeImages&Version=2016-11-15&Owner.1=self",
            headers={"Authorization": auth, "Content-Type": "application/x-www-form-urlencoded"},
        )
        urllib.request.urlopen(request, timeout=30).read()
        urllib.request.urlopen(urllib.request.Request(url + "/moto-api/reset", method="POST"), timeout=30).read()
    except Exception as error:  # noqa: BLE001 - warming up is best effort
        LOG.warning("warm-up request failed: %s", error)
    STATE.reset()
