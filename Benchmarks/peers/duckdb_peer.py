#!/usr/bin/env python3
"""Peer for combine.workload and combine.spill: DuckDB `GROUP BY id` over the same JSON lines.

    python3 Benchmarks/peers/duckdb_peer.py combine FILE [--memory-limit-mib N]

The same reduction as Sluice's side: per id, sum amount and qty, maximize ts, and the last
value of the other fields (DuckDB's `last`, in scan order), read with `read_ndjson` (explicit
columns, so no sampling pass) into an in-memory table. DuckDB uses every core (Sluice's
combiner uses one). Prints one JSON line in the shape of sluice-bench, with `peak_rss_mib`
(VmHWM of this process, Python included) as an extra figure. Installs duckdb from PyPI if it
is missing.
"""
import json
import subprocess
import sys
import time

try:
    import duckdb
except ImportError:
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "duckdb"], check=True)
    import duckdb

COLUMNS = (
    "{id: 'VARCHAR', seq: 'BIGINT', ts: 'VARCHAR', "
    "customer: 'STRUCT(cid VARCHAR, name VARCHAR, tier VARCHAR, region VARCHAR, city VARCHAR)', "
    "amount: 'DOUBLE', qty: 'BIGINT', tags: 'VARCHAR[]', note: 'VARCHAR'}"
)


def peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def main() -> int:
    if len(sys.argv) < 3 or sys.argv[1] != "combine":
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[2]
    memory_limit_mib = None
    if "--memory-limit-mib" in sys.argv:
        memory_limit_mib = int(sys.argv[sys.argv.index("--memory-limit-mib") + 1])
    figure = "combine.spill" if memory_limit_mib else "combine.workload"
    connection = duckdb.connect(":memory:")
    if memory_limit_mib:
        connection.execute(f"SET memory_limit = '{memory_limit_mib}MB'")
    size = 0
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
    start = time.perf_counter()
    connection.execute(
        f"""CREATE TABLE combined AS
            SELECT id, sum(amount) AS amount, sum(qty) AS qty, max(ts) AS ts, last(seq) AS seq,
                   last(customer) AS customer, last(tags) AS tags, last(note) AS note
            FROM read_ndjson('{path}', columns={COLUMNS})
            GROUP BY id"""
    )
    keys = connection.execute("SELECT count(*) FROM combined").fetchone()[0]
    seconds = time.perf_counter() - start
    # Documents: one per line (counted outside the timed part).
    with open(path, "rb") as f:
        documents = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 20), b""))
    print(json.dumps({
        "figure": figure, "subject": f"duckdb {duckdb.__version__}", "documents": documents, "bytes": size,
        "seconds": seconds, "docs_per_s": round(documents / seconds), "mb_per_s": round(size / seconds / 1e6, 2),
        "keys": keys, "peak_rss_mib": peak_rss_mib(),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
