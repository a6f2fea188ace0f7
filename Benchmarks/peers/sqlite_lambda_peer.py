#!/usr/bin/env python3
"""Peer for derive.sqlite: the same lambda run per document by Python's sqlite3.

    python3 Benchmarks/peers/sqlite_lambda_peer.py FILE [--transaction-documents N]

A minimal stand-in for a SQLite derivation over the same JSON-lines workload file: each
document is parsed (orjson), its `id` and `amount` bound to the prepared statement
`SELECT ?, ? AS total` (Python's sqlite3 caches the prepared statement), every returned row
turned into a dict and summed by `id` into a per-transaction dict (the combine), and each
transaction of N documents committed on a file database with synchronous=FULL. Nothing is
written to a log and nothing is exactly-once: it bounds what the lambda itself costs from a
scripting host. Reading the file is not timed.

Prints one JSON line in the shape of sluice-bench.
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

try:
    import orjson
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "orjson"], check=True)
    import orjson


def main() -> int:
    path = sys.argv[1]
    transaction_documents = 50_000
    if "--transaction-documents" in sys.argv:
        transaction_documents = int(sys.argv[sys.argv.index("--transaction-documents") + 1])
    with open(path, "rb") as f:
        lines = [line for line in f.read().split(b"\n") if line]
    folder = tempfile.mkdtemp(prefix="sqlite-lambda-peer-")
    database = sqlite3.connect(os.path.join(folder, "state.db"), isolation_level=None)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("PRAGMA synchronous=FULL")
    database.execute("CREATE TABLE checkpoint (id INTEGER PRIMARY KEY, offset INTEGER)")
    loads = orjson.loads
    sql = "SELECT ?, ? AS total"
    start = time.perf_counter()
    written = 0
    for begin in range(0, len(lines), transaction_documents):
        database.execute("BEGIN IMMEDIATE")
        combined = {}
        for line in lines[begin:begin + transaction_documents]:
            document = loads(line)
            cursor = database.execute(sql, (document["id"], document["amount"]))
            names = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                output = dict(zip(names, row))
                key = output["?"]
                previous = combined.get(key)
                if previous is None:
                    combined[key] = {"id": key, "total": output["total"]}
                else:
                    previous["total"] += output["total"]
        written += len(combined)
        database.execute("INSERT OR REPLACE INTO checkpoint VALUES (1, ?)", (begin,))
        database.execute("COMMIT")
    seconds = time.perf_counter() - start
    size = sum(len(line) + 1 for line in lines)
    print(json.dumps({
        "figure": "derive.sqlite", "subject": f"python sqlite3 {sqlite3.sqlite_version}", "documents": len(lines), "bytes": size,
        "seconds": seconds, "docs_per_s": round(len(lines) / seconds), "mb_per_s": round(size / seconds / 1e6, 2),
        "documents_written": written,
    }))
    database.close()
    for name in os.listdir(folder):
        os.remove(os.path.join(folder, name))
    os.rmdir(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
