#!/usr/bin/env python3
"""The http-ingest benchmark's peer: a durable webhook receiver as a few lines of Python write it.

Python's standard `ThreadingHTTPServer` takes the same POSTs as Sluice's http-ingest capture
(JSON lines of workload documents, bearer token), parses every document with `json.loads`,
appends them as JSON lines to a file and fsyncs it (one request at a time, under a lock) before
answering 200 {"count": N}: the same contract (answered only once durable), without schema
validation, reduction or exactly-once bookkeeping. The load comes from the very generator the
Sluice side uses (`sluice-bench capture.http.load`), so latency is measured the same way:
from the request's first byte sent to its whole answer read, per request.

Usage: http_ingest_peer.py --sluice-bench PATH --work-dir DIR [--batch N] [--connections C]
                           [--requests R] [--documents D --keys K]
Prints the load generator's JSON line with subject "python-http.server+fsync".
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the load generator expects
    output = None
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        if self.headers.get("authorization") != "Bearer bench-token":
            self.answer(401, b'{"error":"unauthorized"}')
            return
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        try:
            documents = [json.loads(line) for line in body.splitlines() if line.strip()]
        except ValueError as error:
            self.answer(400, json.dumps({"error": str(error)}).encode())
            return
        lines = b"".join(json.dumps(document, separators=(",", ":")).encode() + b"\n" for document in documents)
        with Handler.lock:
            Handler.output.write(lines)
            Handler.output.flush()
            os.fsync(Handler.output.fileno())
        self.answer(200, json.dumps({"count": len(documents)}).encode())

    def answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *arguments) -> None:
        pass


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default backlog of 5 resets some of 16 connections opened at once
    daemon_threads = True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sluice-bench", required=True)
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int)
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=100_000)
    args = parser.parse_args()

    os.makedirs(args.work_dir, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=args.work_dir, prefix="http-peer-", suffix=".jsonl") as output:
        Handler.output = output
        server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        command = [args.sluice_bench, "capture.http.load", "--port", str(server.server_address[1]),
                   "--subject", "python-http.server+fsync", "--batch", str(args.batch),
                   "--connections", str(args.connections), "--documents", str(args.documents), "--keys", str(args.keys)]
        if args.requests:
            command += ["--requests", str(args.requests)]
        completed = subprocess.run(command, capture_output=True, text=True)
        server.shutdown()
    if completed.returncode != 0:
        print(completed.stderr, file=sys.stderr)
        return completed.returncode
    print(completed.stdout.strip().splitlines()[-1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
