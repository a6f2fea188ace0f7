#!/usr/bin/env python3
"""Peer for json.parse and json.serialize: Python orjson over the same JSON-lines file.

    python3 Benchmarks/peers/orjson_peer.py parse FILE
    python3 Benchmarks/peers/orjson_peer.py serialize FILE

Prints one JSON line in the shape of sluice-bench ({"figure", "subject", "documents", "bytes",
"seconds", "docs_per_s", "mb_per_s"}). Reading and splitting the file are not timed for
serialize; for parse, splitting lines is timed (as Sluice's side splits lines too).
"""
import json
import subprocess
import sys
import time

try:
    import orjson
except ImportError:  # the machine image ships orjson 3.8.3; install it where it is missing
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "orjson"], check=True)
    import orjson


def report(figure: str, documents: int, size: int, seconds: float) -> None:
    print(json.dumps({
        "figure": figure, "subject": f"orjson {orjson.__version__}", "documents": documents, "bytes": size,
        "seconds": seconds, "docs_per_s": round(documents / seconds), "mb_per_s": round(size / seconds / 1e6, 2),
    }))


def main() -> int:
    mode, path = sys.argv[1], sys.argv[2]
    with open(path, "rb") as f:
        data = f.read()
    if mode == "parse":
        loads = orjson.loads
        start = time.perf_counter()
        documents = 0
        for line in data.split(b"\n"):
            if line:
                loads(line)
                documents += 1
        report("json.parse", documents, len(data), time.perf_counter() - start)
    elif mode == "serialize":
        objects = [orjson.loads(line) for line in data.split(b"\n") if line]
        dumps = orjson.dumps
        start = time.perf_counter()
        size = 0
        for value in objects:
            size += len(dumps(value)) + 1
        report("json.serialize", len(objects), size, time.perf_counter() - start)
    else:
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
