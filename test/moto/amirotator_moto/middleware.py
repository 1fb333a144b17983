"""Patch 7: the WSGI app around moto's: the call log, IAM refusals (patch 9) and the /_amirotator endpoints."""

from __future__ import annotations

import io
import json
import re
import urllib.parse
from typing import Any, Callable, Iterable

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    create_backend_app,
)

from .consistency import _lag_state_change
from .mappings import _snapshot_ids
from .patches import install_patches
from .state import STATE


def _all_ec2_backends() -> Iterable[Any]:
    from moto.ec2.models import ec2_backends

    for _account, regions in list(dict.items(ec2_backends)):
        for _region, backend in list(dict.items(regions)):
            yield backend


# --------------------------------------------------------------------------
# Patch 7: WSGI middleware: call log + /_amirotator endpoints
# --------------------------------------------------------------------------
_CREDENTIAL_RE = re.compile(r"Credential=[^/,\s]+/\d{8}/([^/,\s]+)/([^/,\s]+)/aws4_request")
_STATE_PATH_RE = re.compile(r"^/_amirotator/images/(ami-[A-Za-z0-9]+)/state/?$")


class AmiRotatorApp:
    def __init__(self, inner: Callable[..., Any]) -> None:
        self.inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_amirotator/"):
            return self._own(environ, start_response, path)

        body = self._read_body(environ)
        action, region, service = self._describe(environ, body)
        if action is None:
            return self.inner(environ, start_response)

        dry_run = self._param(environ, body, "DryRun").lower() == "true"
        entry = {"region": region, "action": action, "service": service, "status": None, "dryRun": dry_run}
        with STATE.lock:
            STATE.calls.append(entry)
            denied = (region, action) in STATE.denied or ("*", action) in STATE.denied

        if denied:
            # Patch 9. IAM is checked before anything else, for a dry run as for a real call.
            # [CommonParameters] DryRun: "Checks whether you have the required permissions for the action, without
            # actually making the request, and provides an error response. If you have the required permissions,
            # the error response is DryRunOperation. Otherwise, it is UnauthorizedOperation."
            # [errors-overview] "UnauthorizedOperation: You are not authorized to perform this operation." (HTTP 403);
            # EC2 appends an encoded authorization message that only sts:DecodeAuthorizationMessage can read.
            entry["status"] = 403
            return _ec2_error(start_response, 403, "UnauthorizedOperation",
                              "You are not authorized to perform this operation. Encoded authorization failure message: "
                              "amirotator-moto-denied-" + action)

        def _start(status: str, headers: Any, exc_info: Any = None) -> Any:
            try:
                entry["status"] = int(status.split(" ", 1)[0])
            except ValueError:
                pass
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        return self.inner(environ, _start)

    @staticmethod
    def _read_body(environ: dict[str, Any]) -> bytes:
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        stream = environ.get("wsgi.input")
        if stream is None:
            return b""
        if length > 0:
            body = stream.read(length)
        elif environ.get("wsgi.input_terminated"):
            body = stream.read()
        else:
            body = b""
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return body

    @staticmethod
    def _param(environ: dict[str, Any], body: bytes, name: str) -> str:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if name in query:
            return query[name][0]
        if body and "x-www-form-urlencoded" in environ.get("CONTENT_TYPE", ""):
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            return (form.get(name) or [""])[0]
        return ""

    @staticmethod
    def _describe(environ: dict[str, Any], body: bytes) -> tuple[str | None, str | None, str | None]:
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        action = (query.get("Action") or [None])[0]
        ctype = environ.get("CONTENT_TYPE", "")
        if action is None and body and "x-www-form-urlencoded" in ctype:
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            action = (form.get("Action") or [None])[0]
        if action is None:
            target = environ.get("HTTP_X_AMZ_TARGET")
            if target:
                action = target.rsplit(".", 1)[-1]
        region = service = None
        match = _CREDENTIAL_RE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if match:
            region, service = match.group(1), match.group(2)
        else:
            cred = (query.get("X-Amz-Credential") or [""])[0]
            parts = cred.split("/")
            if len(parts) >= 5:
                region, service = parts[2], parts[3]
        return action, region, service

    def _own(self, environ: dict[str, Any], start_response: Callable[..., Any], path: str) -> Any:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        raw = self._read_body(environ)
        try:
            payload = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return _json(start_response, 400, {"error": "body is not JSON"})

        if path.rstrip("/") == "/_amirotator/health":
            return _json(start_response, 200, {"ok": True})
        if path.rstrip("/") == "/_amirotator/calls" and method == "GET":
            with STATE.lock:
                return _json(start_response, 200, [dict(c) for c in STATE.calls])
        if path.rstrip("/") == "/_amirotator/calls/reset" and method == "POST":
            with STATE.lock:
                STATE.calls.clear()
            return _json(start_response, 200, {"ok": True})
        if path.rstrip("/") == "/_amirotator/config":
            if method == "POST":
                value = payload.get("newImageState", STATE.new_image_state)
                if value not in ("available", "pending"):
                    return _json(start_response, 400, {"error": "newImageState must be available or pending"})
                supported = payload.get("describeImageReferences", STATE.image_references_supported)
                if not isinstance(supported, bool):
                    return _json(start_response, 400, {"error": "describeImageReferences must be true or false"})
                deny = payload.get("deny")
                denied = STATE.denied
                if deny is not None:
                    if not isinstance(deny, list) or not all(isinstance(d, str) and d for d in deny):
                        return _json(start_response, 400, {"error": "deny must be a list of 'Action' or 'region:Action'"})
                    denied = {tuple(d.split(":", 1)) if ":" in d else ("*", d) for d in deny}
                copy_state = payload.get("newCopyState", STATE.new_copy_state)
                if copy_state not in (None, "available", "pending"):
                    return _json(start_response, 400, {"error": "newCopyState must be available, pending or null"})
                recycle_bin = payload.get("recycleBin", STATE.recycle_bin)
                if not isinstance(recycle_bin, bool):
                    return _json(start_response, 400, {"error": "recycleBin must be true or false"})
                recycle_bin_days = payload.get("recycleBinDays", STATE.recycle_bin_days)
                if isinstance(recycle_bin_days, bool) or not isinstance(recycle_bin_days, int) \
                        or not 1 <= recycle_bin_days <= 365:
                    return _json(start_response, 400, {"error": "recycleBinDays must be a whole number of days, 1 to 365"})
                lag = payload.get("consistencyLag", STATE.consistency_lag)
                if isinstance(lag, bool) or not isinstance(lag, int) or lag < 0:
                    return _json(start_response, 400, {"error": "consistencyLag must be a whole number >= 0"})
                with STATE.lock:
                    STATE.consistency_lag = lag
                    STATE.recycle_bin = recycle_bin
                    STATE.recycle_bin_days = recycle_bin_days
                    STATE.new_image_state = value
                    STATE.new_copy_state = copy_state
                    STATE.image_references_supported = supported
                    STATE.denied = denied
            return _json(start_response, 200, _config())
        match = _STATE_PATH_RE.match(path)
        if match and method == "POST":
            new_state = payload.get("state")
            if new_state not in ("available", "failed", "pending"):
                return _json(start_response, 400, {"error": "state must be available, failed or pending"})
            with STATE.lock:
                for backend in _all_ec2_backends():
                    ami = backend.amis.get(match.group(1))
                    if ami is None:
                        continue
                    _lag_state_change(backend, ami)  # patch 14
                    ami.state = new_state
                    reason = payload.get("stateReason")
                    if new_state == "failed" and reason:
                        ami.state_reason = {"Code": reason.get("code"), "Message": reason.get("message")}
                    elif hasattr(ami, "state_reason"):
                        del ami.state_reason
                    snap_status = {"available": "completed", "failed": "error", "pending": "pending"}[new_state]
                    for sid in _snapshot_ids(ami):
                        snap = backend.snapshots.get(sid)
                        if snap is not None:
                            snap.status = snap_status
                    return _json(start_response, 200, {"imageId": ami.id, "state": new_state})
            return _json(start_response, 404, {"error": f"image {match.group(1)} not found"})
        return _json(start_response, 404, {"error": f"no such endpoint: {method} {path}"})


def _config() -> dict[str, Any]:
    with STATE.lock:
        return {
            "newImageState": STATE.new_image_state,
            "newCopyState": STATE.new_copy_state,
            "describeImageReferences": STATE.image_references_supported,
            "recycleBin": STATE.recycle_bin,
            "recycleBinDays": STATE.recycle_bin_days,
            "consistencyLag": STATE.consistency_lag,
            "deny": sorted(f"{r}:{a}" if r != "*" else a for r, a in STATE.denied),
        }


def _ec2_error(start_response: Callable[..., Any], status: int, code: str, message: str) -> list[bytes]:
    from xml.sax.saxutils import escape

    data = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
        f"<Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        "</Error></Errors><RequestID>amirotator-moto</RequestID></Response>"
    ).encode("utf-8")
    start_response(f"{status} Forbidden" if status == 403 else f"{status} Error",
                   [("Content-Type", "text/xml"), ("Content-Length", str(len(data)))])
    return [data]


def _json(start_response: Callable[..., Any], status: int, payload: Any) -> list[bytes]:
    data = json.dumps(payload).encode("utf-8")
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found"}.get(status, "")
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data)))],
    )
    return [data]


def create_app() -> AmiRotatorApp:
    install_patches()
    return AmiRotatorApp(DomainDispatcherApplication(create_backend_app))
