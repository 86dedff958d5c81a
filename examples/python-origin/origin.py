#!/usr/bin/env python3
"""A runnable origin behind keygate, standard library only (plus `cryptography` for Ed25519).

Every request is verified with keygate_verify.py. A verified request gets 200 with what arrived:

    {"verified": true, "identity": {...}, "method": ..., "path": ..., "query": ...,
     "headers": {lowercased name: value, ...}, "body": "<utf-8 text>"}

anything else 401 {"verified": false, "reason": "<code>", "detail": "..."}.

    python3 origin.py --port 9001 --jwks-file jwks.json
    python3 origin.py --port 9001 --jwks-url http://127.0.0.1:8787/.well-known/jwks.json

Options:
    --jwks-file PATH   the gateway's public keys (re-read when a signature names an unknown kid)
    --jwks-url URL     or fetch them (cached 5 min; refetched at most every 30 s for an unknown kid)
    --authority HOST   the host[:port] keygate sends to (default: the Host header)
    --host ADDR        listen address (default 127.0.0.1)
    --max-skew N       seconds `created` may be in the future (default 60)
    --report-url URL   after a verified request with a job id, report the job through
                       POST URL/v1/jobs/{id}/events (running, then completed), with the API key
                       (scope jobs:report) from the environment variable named by --report-key-env
    --verbose          log each request to stderr
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from keygate_verify import KeygateSignatureError, verify_keygate_request  # noqa: E402

MAX_BODY_BYTES = 10 * 1024 * 1024


class FileJwks:
    """The JWKS from a file, re-read when it changes or a signature names an unknown kid."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.Lock()
        self.mtime = -1.0
        self.jwks: dict = {"keys": []}
        self._load()

    def _load(self) -> None:
        mtime = os.stat(self.path).st_mtime
        with open(self.path, encoding="utf-8") as f:
            self.jwks = json.load(f)
        self.mtime = mtime

    def __call__(self, unknown_kid: Optional[str]) -> dict:
        with self.lock:
            try:
                if unknown_kid is not None or os.stat(self.path).st_mtime != self.mtime:
                    self._load()
            except (OSError, ValueError) as err:
                print(f"origin: cannot re-read {self.path}: {err}", file=sys.stderr)
            return self.jwks


class UrlJwks:
    """The JWKS from keygate's /.well-known/jwks.json, cached; refetched early for an unknown kid."""

    def __init__(self, url: str, max_age: int = 300, min_refetch: int = 30) -> None:
        self.url, self.max_age, self.min_refetch = url, max_age, min_refetch
        self.lock = threading.Lock()
        self.jwks: Optional[dict] = None
        self.at = 0.0

    def __call__(self, unknown_kid: Optional[str]) -> dict:
        with self.lock:
            age = time.monotonic() - self.at
            if self.jwks is None or age > self.max_age or (unknown_kid is not None and age > self.min_refetch):
                try:
                    with urllib.request.urlopen(self.url, timeout=5) as res:
                        self.jwks = json.load(res)
                    self.at = time.monotonic()
                except Exception as err:  # a stale copy beats none while the gateway is away
                    print(f"origin: cannot fetch {self.url}: {err}", file=sys.stderr)
                    if self.jwks is None:
                        return {"keys": []}
            return self.jwks


def report_job(base_url: str, api_key: str, job_id: str, request_id: str) -> None:
    """Tell keygate the job ran: running, then completed. Best effort, in the background."""

    def post(body: dict) -> None:
        req = urllib.request.Request(
            f"{base_url.rstrip('/')}/v1/jobs/{job_id}/events",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Authorization": f"Bearer {api_key}", "Content-Type": "application/json", "X-Request-Id": request_id},
        )
        with urllib.request.urlopen(req, timeout=10) as res:
            res.read()

    def run() -> None:
        try:
            post({"status": "running", "progress": {"percent": 0}})
            time.sleep(0.5)
            post({"status": "completed", "result": {"processedBy": "python-origin"}})
        except Exception as err:
            print(f"origin: reporting job {job_id} failed: {err}", file=sys.stderr)

    threading.Thread(target=run, daemon=True).start()


def make_handler(args: argparse.Namespace, jwks) -> type:
    report_key = os.environ.get(args.report_key_env, "") if args.report_url else ""
    if args.report_url and not report_key:
        print(f"origin: --report-url given but ${args.report_key_env} is empty; not reporting", file=sys.stderr)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "keygate-python-origin"
        sys_version = ""

        def log_message(self, format: str, *a) -> None:  # noqa: A002
            if args.verbose:
                sys.stderr.write("origin: %s - %s\n" % (self.address_string(), format % a))

        def read_body(self) -> Optional[bytes]:
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                chunks, total = [], 0
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline().strip():  # trailers
                            pass
                        return b"".join(chunks)
                    total += size
                    if total > MAX_BODY_BYTES:
                        return None
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY_BYTES:
                return None
            return self.rfile.read(length) if length > 0 else b""

        def answer(self, status: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def handle_any(self) -> None:
            try:
                body = self.read_body()
            except ValueError:
                self.close_connection = True
                self.answer(400, {"verified": False, "reason": "bad-body"})
                return
            if body is None:
                self.close_connection = True
                self.answer(413, {"verified": False, "reason": "body-too-large"})
                return
            pairs = list(self.headers.items())  # repeated headers stay separate lines
            try:
                identity = verify_keygate_request(
                    method=self.command,
                    target=self.path,
                    headers=pairs,
                    body=body,
                    jwks=jwks,
                    max_skew_seconds=args.max_skew,
                    authority=args.authority,
                )
            except KeygateSignatureError as err:
                self.answer(401, {"verified": False, "reason": err.reason, "detail": str(err)})
                return
            received = {}
            for name, value in pairs:
                key = name.lower()
                received[key] = f"{received[key]}, {value.strip()}" if key in received else value.strip()
            path, _, query = self.path.partition("?")
            self.answer(
                200,
                {
                    "verified": True,
                    "identity": identity,
                    "method": self.command,
                    "path": path,
                    "query": "?" + query if query else "",
                    "headers": received,
                    "body": body.decode("utf-8", errors="replace"),
                },
            )
            if report_key and identity.get("jobId"):
                report_job(args.report_url, report_key, identity["jobId"], identity["requestId"] or "")

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = handle_any

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="A keygate origin that verifies every request's signature.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--jwks-file")
    source.add_argument("--jwks-url")
    parser.add_argument("--authority", default=None)
    parser.add_argument("--max-skew", type=int, default=60)
    parser.add_argument("--report-url", default=None)
    parser.add_argument("--report-key-env", default="KEYGATE_REPORT_KEY")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    jwks = FileJwks(args.jwks_file) if args.jwks_file else UrlJwks(args.jwks_url)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args, jwks))
    server.daemon_threads = True
    print(f"keygate python origin listening on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
