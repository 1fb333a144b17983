"""A local stand-in for the AWS Lambda Runtime API (2018-06-01), enough to drive the real bootstrap.

It serves GET /runtime/invocation/next from a queue of events (with the Request-Id, Deadline-Ms,
Invoked-Function-Arn and Trace-Id headers Lambda sends), and records what the function POSTs to
/invocation/{id}/response, /invocation/{id}/error and /init/error. Used by `make demo`.
"""
import json
import os
import queue
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01"


class RuntimeApiStandin:
    def __init__(self, function_arn, timeout_seconds=900):
        self.function_arn = function_arn
        self.timeout_seconds = timeout_seconds
        self.events = queue.Queue()
        self.results = {}
        self.result_ready = threading.Condition()
        self.init_error = None
        self.first_next = threading.Event()
        self.first_next_at = None
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path != PREFIX + "/runtime/invocation/next":
                    return self._send(404, b'{"errorMessage":"not found"}')
                if standin.first_next_at is None:
                    standin.first_next_at = time.monotonic()
                    standin.first_next.set()
                request_id, body = standin.events.get()
                deadline = int((time.time() + standin.timeout_seconds) * 1000)
                self.send_response(200)
                self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                self.send_header("Lambda-Runtime-Deadline-Ms", str(deadline))
                self.send_header("Lambda-Runtime-Invoked-Function-Arn", standin.function_arn)
                self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                parts = self.path[len(PREFIX):].strip("/").split("/")
                if parts == ["runtime", "init", "error"]:
                    standin._record("init", "error", body, self.headers.get("Lambda-Runtime-Function-Error-Type"))
                elif len(parts) == 4 and parts[:2] == ["runtime", "invocation"] and parts[3] in ("response", "error"):
                    standin._record(parts[2], parts[3], body, self.headers.get("Lambda-Runtime-Function-Error-Type"))
                else:
                    return self._send(404, b'{"errorMessage":"not found"}')
                self._send(202, b'{"status":"OK"}')

            def _send(self, status, body):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        class Server(ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass  # the function is stopped while its next-invocation GET is still open: expected

        self.server = Server(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.address = "127.0.0.1:%d" % self.server.server_address[1]

    def _record(self, request_id, kind, body, error_type):
        with self.result_ready:
            self.results[request_id] = {"kind": kind, "body": body.decode("utf-8", "replace"), "errorType": error_type}
            self.result_ready.notify_all()

    def invoke(self, event, timeout=300):
        """Delivers one event and waits for the function's answer: {"kind": "response"|"error", "body": ...}."""
        request_id = str(uuid.uuid4())
        self.events.put((request_id, json.dumps(event).encode()))
        end = time.time() + timeout
        with self.result_ready:
            while request_id not in self.results and "init" not in self.results:
                if not self.result_ready.wait(timeout=max(0, end - time.time())):
                    raise TimeoutError("the function did not answer within %ss" % timeout)
            return self.results.get(request_id) or self.results["init"]

    def close(self):
        self.server.shutdown()


class Function:
    """The real bootstrap, running against a stand-in Runtime API with the given settings."""

    def __init__(self, bootstrap, env, function_name, account="123456789012", log_path=None):
        region = env["AWS_REGION"]
        self.api = RuntimeApiStandin("arn:aws:lambda:%s:%s:function:%s" % (region, account, function_name))
        full_env = dict(os.environ)
        full_env.update(env)
        full_env["AWS_LAMBDA_RUNTIME_API"] = self.api.address
        full_env["AWS_LAMBDA_FUNCTION_NAME"] = function_name
        self.log = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.process = subprocess.Popen([bootstrap], env=full_env, stdout=self.log, stderr=subprocess.STDOUT)

    def invoke(self, event, timeout=300):
        result = self.api.invoke(event, timeout)
        result["json"] = json.loads(result["body"]) if result["body"] else None
        return result

    def close(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.api.close()
        if self.log is not subprocess.DEVNULL:
            self.log.close()
