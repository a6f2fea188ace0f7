#!/usr/bin/env python3
"""Peer for schema.validate: Python jsonschema-rs (the Rust `jsonschema` crate) validating the
same workload against the same schema (Benchmarks/workload-schema.json), formats asserted.

    python3 Benchmarks/peers/jsonschema_peer.py validate FILE

Documents are parsed with orjson before timing (Sluice's side parses before timing too); the
timed loop is `validator.is_valid(document)` per document on one thread. jsonschema-rs ignores
the `reduce` keyword, so it yields no annotations: Sluice's figure includes them. Prints one
JSON line in the shape of sluice-bench.
"""
import json
import subprocess
import sys
import time
from pathlib import Path

try:
    import jsonschema_rs
except ImportError:  # not in the machine image: install it from PyPI
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "jsonschema-rs"], check=True)
    import jsonschema_rs

try:
    import orjson
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "orjson"], check=True)
    import orjson

SCHEMA = Path(__file__).resolve().parent.parent / "workload-schema.json"


def main() -> int:
    mode, path = sys.argv[1], sys.argv[2]
    if mode != "validate":
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    with open(path, "rb") as f:
        data = f.read()
    documents = [orjson.loads(line) for line in data.split(b"\n") if line]
    validator = jsonschema_rs.validator_for(json.loads(SCHEMA.read_text()), validate_formats=True)
    is_valid = validator.is_valid
    start = time.perf_counter()
    valid = 0
    for document in documents:
        if is_valid(document):
            valid += 1
    seconds = time.perf_counter() - start
    if valid != len(documents):
        print(f"{len(documents) - valid} workload documents are invalid for jsonschema-rs", file=sys.stderr)
        return 1
    try:
        from importlib.metadata import version
        subject = f"jsonschema-rs {version('jsonschema-rs')}"
    except Exception:
        subject = "jsonschema-rs"
    print(json.dumps({
        "figure": "schema.validate", "subject": subject, "documents": len(documents), "bytes": len(data),
        "seconds": seconds, "docs_per_s": round(len(documents) / seconds), "mb_per_s": round(len(data) / seconds / 1e6, 2),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
