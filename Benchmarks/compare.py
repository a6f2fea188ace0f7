#!/usr/bin/env python3
"""Runs Sluice's benchmarks beside their peers, alternating A B A B, and prints ratios.

Usage (the Makefile's `bench` and `bench-quick` targets call this):

    python3 Benchmarks/compare.py --bin DIR [--size quick|medium|standard] [--runs N]
                                  [--only PREFIX,...] [--markdown FILE]

Each pair names a figure, the `sluice-bench` subcommand that measures Sluice, and a peer
command that measures the anchor from ../shared/design/BENCHMARKS.md on the same input. Both
sides print one JSON line ({"figure", "subject", "documents", "bytes", "seconds",
"docs_per_s", "mb_per_s", ...}); the driver runs them alternately `--runs` times each, then
prints the median and min–max of the compared metric for both and the ratio of the medians.
A figure's target (for example "at least 0.7x dd") is shown beside the ratio; a miss is
reported, not hidden.

Only what a command printed is ever reported. Results also go to Benchmarks/results/ as JSON.
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
PEERS = HERE / "peers"

SIZES = {
    "quick": (10_000, 1_000),
    "medium": (100_000, 10_000),
    "standard": (1_000_000, 100_000),
}


@dataclass
class Context:
    """What a pair needs to build its commands."""

    bin_dir: Path
    documents: int
    keys: int
    work_dir: Path
    workload_path: Path

    @property
    def sluice(self) -> str:
        return str(self.bin_dir / "sluice")

    @property
    def sluice_bench(self) -> str:
        return str(self.bin_dir / "sluice-bench")

    def workload_args(self) -> list[str]:
        return ["--documents", str(self.documents), "--keys", str(self.keys)]


@dataclass
class Pair:
    """A Sluice figure and the peer it is compared with."""

    figure: str
    metric: str  # "docs_per_s" or "mb_per_s": higher is better
    sluice: Callable[[Context], list[str]]
    peer: Callable[[Context], list[str]] | None
    peer_name: str = ""
    target_ratio: float | None = None  # Sluice / peer must be at least this
    setup: Callable[[Context], None] | None = None
    note: str = ""
    extra_metrics: list[str] = field(default_factory=list)


def run_json(command: list[str], cwd: Path | None = None) -> dict:
    """Runs a command and returns the last JSON line it printed on stdout."""
    completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(
            f"command failed ({completed.returncode}): {' '.join(command)}\n{completed.stderr[-4000:]}"
        )
    lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"command printed no JSON line: {' '.join(command)}\n{completed.stdout[-2000:]}")
    return json.loads(lines[-1])


def ensure_workload(ctx: Context) -> None:
    if ctx.workload_path.exists():
        return
    ctx.workload_path.parent.mkdir(parents=True, exist_ok=True)
    temporary = ctx.workload_path.with_suffix(".tmp")
    with open(temporary, "wb") as out:
        subprocess.run([ctx.sluice, "workload", "generate", *ctx.workload_args()], stdout=out, check=True)
    temporary.rename(ctx.workload_path)


def journal_peer(ctx: Context, *arguments: str) -> list[str]:
    """The journal's peer script (Benchmarks/peers/journal_peers.py)."""
    return [sys.executable, str(PEERS / "journal_peers.py"), *arguments]


def journal_replay_setup(codec: str) -> Callable[[Context], None]:
    """Creates (once) the sealed journal that both sides of a replay pair read."""
    def setup(ctx: Context) -> None:
        subprocess.run([ctx.sluice_bench, "journal.replay", "--prepare", "--codec", codec, "--work-dir",
                        str(ctx.work_dir), *ctx.workload_args()], check=True, stdout=subprocess.DEVNULL)
    return setup


def journal_replay_pair(codec: str, extension: str, tool: str, target: float | None) -> Pair:
    return Pair(
        figure=f"journal.replay.{extension}",
        metric="mb_per_s",
        sluice=lambda c: [c.sluice_bench, "journal.replay", "--codec", codec, "--work-dir", str(c.work_dir),
                          *c.workload_args()],
        peer=lambda c: journal_peer(c, "decompress", "--tool", tool, "--journal-root", str(c.work_dir / "journal-replay"),
                                    "--documents", str(c.documents), "--keys", str(c.keys)),
        peer_name=f"{tool} -d" if tool != "cat" else "cat",
        target_ratio=target,
        setup=journal_replay_setup(codec),
        note="same fragment files, read from offset 0 to /dev/null",
    )


# A PostgreSQL server for the materialize.postgres pairs: Debian's binaries, started once per
# run in the work folder on a free loopback port (as the postgres user when run as root, since
# initdb refuses root), default durability settings, stopped by PID when this script exits.
_POSTGRES: dict = {}


def postgres_setup(ctx: Context) -> None:
    if "dsn" in _POSTGRES:
        return
    import atexit
    import glob
    import signal
    import socket
    import time

    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if not versions:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql; make deps installs it)")
    binaries = os.path.dirname(versions[0])
    folder = ctx.work_dir / "postgres"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--"] if os.getuid() == 0 else []
    if as_postgres:
        subprocess.run(["chown", "-R", "postgres:postgres", str(folder)], check=True)
        os.chmod(folder, 0o755)
    data = folder / "data"
    subprocess.run([*as_postgres, f"{binaries}/initdb", "-D", str(data), "--username=postgres", "--auth=trust",
                    "--encoding=UTF8", "--locale=C"], check=True, stdout=subprocess.DEVNULL)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with open(data / "postgresql.conf", "a") as conf:
        conf.write(f"\nlisten_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{folder}'\n")
    server = subprocess.Popen([*as_postgres, f"{binaries}/postgres", "-D", str(data)], stdout=subprocess.DEVNULL,
                              stderr=open(folder / "server.log", "w"))

    def stop() -> None:
        server.send_signal(signal.SIGQUIT)
        server.wait(timeout=30)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    for _ in range(600):
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    time.sleep(0.5)
    _POSTGRES["dsn"] = f"postgresql://postgres@127.0.0.1:{port}/postgres"


def materialize_peer(ctx: Context, mode: str, *arguments: str) -> list[str]:
    return [sys.executable, str(PEERS / "materialize_peers.py"), mode, str(ctx.workload_path), *arguments]


def cdc_workload(ctx: Context) -> Path:
    """The cdc.capture workload file: a change per 5 workload documents (200k at standard size)."""
    return ctx.work_dir / f"cdc-{ctx.documents // 5}.sql"


def cdc_setup(ctx: Context) -> None:
    if not cdc_workload(ctx).exists():
        subprocess.run([ctx.sluice_bench, "cdc", "--changes", str(ctx.documents // 5), "--write-sql", str(cdc_workload(ctx))],
                       check=True)


# The registry of pairs. Each component adds its figures here (see docs/benchmarks.md).
PAIRS: list[Pair] = [
    Pair(
        figure="workload.generate",
        metric="mb_per_s",
        sluice=lambda c: [c.sluice_bench, "workload.generate", *c.workload_args()],
        peer=None,
        note="input generator speed; no peer",
    ),
    # SluiceDocument (docs/document.md): both sides read the same workload file.
    Pair(
        figure="json.parse",
        metric="mb_per_s",
        sluice=lambda c: [c.sluice_bench, "json.parse", *c.workload_args(), "--input", str(c.workload_path)],
        peer=lambda c: [sys.executable, str(PEERS / "orjson_peer.py"), "parse", str(c.workload_path)],
        peer_name="orjson.loads",
        target_ratio=2.0,
        extra_metrics=["validate_mb_per_s"],
    ),
    Pair(
        figure="json.serialize",
        metric="mb_per_s",
        sluice=lambda c: [c.sluice_bench, "json.serialize", *c.workload_args(), "--input", str(c.workload_path)],
        peer=lambda c: [sys.executable, str(PEERS / "orjson_peer.py"), "serialize", str(c.workload_path)],
        peer_name="orjson.dumps",
    ),
    Pair(
        figure="json.key",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "json.key", *c.workload_args(), "--input", str(c.workload_path)],
        peer=None,
        note="extract [/customer/cid, /id] and pack; no peer",
    ),
    Pair(
        figure="json.tape",
        metric="mb_per_s",
        sluice=lambda c: [c.sluice_bench, "json.tape", *c.workload_args(), "--input", str(c.workload_path)],
        peer=None,
        note="tape bytes out and back in (validated), as a spill would; no peer",
    ),
    Pair(
        figure="journal.append",
        metric="mb_per_s",
        sluice=lambda c: [c.sluice_bench, "journal.append", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer=lambda c: journal_peer(c, "dd", "--input", str(c.workload_path), "--output", str(c.work_dir / "dd.out"),
                                    "--documents", str(c.documents)),
        peer_name="dd conv=fdatasync",
        target_ratio=0.7,
        setup=ensure_workload,
        note="1 MiB appends, group commit, zstd:1; until every append is durable",
        extra_metrics=["sealed_seconds"],
    ),
    journal_replay_pair("lz4", "lz4", "lz4", 0.8),
    journal_replay_pair("zstd:1", "zst", "zstd", 0.8),
    journal_replay_pair("none", "raw", "cat", None),
    Pair(
        figure="journal.tail",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "journal.tail", "--work-dir", str(c.work_dir)],
        peer=None,
        note="paced appends; the figures are the latencies (target: wake p99 < 1 ms)",
        extra_metrics=["wake_p50_ms", "wake_p99_ms", "append_to_read_p50_ms", "append_to_read_p99_ms"],
    ),
    # SluiceSchema (docs/schema.md): the workload against Benchmarks/workload-schema.json.
    Pair(
        figure="schema.validate",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "schema.validate", *c.workload_args(), "--input", str(c.workload_path)],
        peer=lambda c: [sys.executable, str(PEERS / "jsonschema_peer.py"), "validate", str(c.workload_path)],
        peer_name="jsonschema-rs",
        target_ratio=1.0,
        note="Sluice also yields reduce annotations; target: at least 1M docs/s on one core",
        extra_metrics=["valid_only_docs_per_s"],
    ),
    # SluiceCombine (docs/reduce.md): both sides read the same workload file; Sluice validates
    # every document against WorkloadSchema (Benchmarks/workload-schema.json).
    Pair(
        figure="combine.workload",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "combine.workload", *c.workload_args(), "--input", str(c.workload_path)],
        peer=lambda c: [sys.executable, str(PEERS / "duckdb_peer.py"), "combine", str(c.workload_path)],
        peer_name="duckdb GROUP BY",
        target_ratio=1.0,
        extra_metrics=["peak_rss_mib", "combiner_peak_mib"],
        note="every core, as DuckDB: keys partitioned over the threads, each key combined in input order",
    ),
    Pair(
        figure="combine.serial",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "combine.workload", *c.workload_args(), "--input", str(c.workload_path),
                          "--threads", "1", "--figure", "combine.serial"],
        peer=lambda c: [sys.executable, str(PEERS / "duckdb_peer.py"), "combine", str(c.workload_path)],
        peer_name="duckdb GROUP BY",
        extra_metrics=["peak_rss_mib", "combiner_peak_mib"],
        note="one thread parses, validates and combines (DuckDB still uses every core)",
    ),
    Pair(
        figure="combine.spill",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "combine.spill", *c.workload_args(), "--input", str(c.workload_path), "--budget-mib", "64"],
        peer=lambda c: [sys.executable, str(PEERS / "duckdb_peer.py"), "combine", str(c.workload_path)],
        peer_name="duckdb GROUP BY",
        extra_metrics=["peak_rss_mib", "combiner_peak_mib", "spilled_mib"],
        note="64 MiB budget, every core; DuckDB unlimited (with memory_limit 64MB it fails: out of memory)",
    ),
    # SluiceCollection (docs/collections.md): one run writes, reads and compacts; each figure
    # is its own pair (the body prints the picked figure last). Targets are absolute (issue 5).
    Pair(
        figure="collection.write",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "collection", "--figure", "write", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer=None,
        note="parse + validate + combine per 10k-document transaction + UUIDs + group-commit appends + ACKs; target >= 300k docs/s",
    ),
    Pair(
        figure="collection.read",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "collection", "--figure", "read", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer=None,
        note="read-committed delivery (parse + sequence); target >= 1M docs/s",
    ),
    Pair(
        figure="collection.compact",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "collection", "--figure", "compact", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer=None,
        note="key compaction of the sealed journal",
        extra_metrics=["size_reduction", "stored_bytes_before", "stored_bytes_after"],
    ),
    # SluiceMaterialize (docs/materializations.md): the workload's collection (ingested once,
    # untimed) materialized by the engine into a fresh table, beside Python upserting the same
    # JSON lines.
    Pair(
        figure="materialize.sqlite",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "materialize", "sqlite", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer=lambda c: materialize_peer(c, "sqlite", "--db", str(c.work_dir / "peer-materialize.db")),
        peer_name="python sqlite3 batched upsert",
        target_ratio=3.0,
        note="engine: read committed + combine + load + reduce + upsert + fenced checkpoint per transaction",
        extra_metrics=["documents_read", "transactions"],
    ),
    Pair(
        figure="materialize.postgres",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "materialize", "postgres", "--dsn", _POSTGRES["dsn"], "--work-dir", str(c.work_dir),
                          *c.workload_args()],
        peer=lambda c: materialize_peer(c, "postgres-upsert", "--dsn", _POSTGRES["dsn"]),
        peer_name="psycopg batched upsert",
        target_ratio=2.0,
        setup=postgres_setup,
        note="engine: COPY + MERGE + fenced checkpoint per transaction",
        extra_metrics=["documents_read", "transactions"],
    ),
    Pair(
        figure="materialize.postgres.copy",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "materialize", "postgres", "--dsn", _POSTGRES["dsn"], "--work-dir", str(c.work_dir),
                          *c.workload_args()],
        peer=lambda c: materialize_peer(c, "postgres-copy", "--dsn", _POSTGRES["dsn"]),
        peer_name="psycopg COPY (no upsert)",
        setup=postgres_setup,
        note="the bulk-load ceiling: COPY of every row into a table without a key",
    ),
    # SluiceCapture (docs/captures.md): the files capture beside the same write path without a
    # connector or engine (collection.write); http-ingest beside a Python durable receiver under
    # the same load generator. Targets: files >= 300k docs/s (absolute, issue 7).
    Pair(
        figure="capture.files",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "capture.files", "--work-dir", str(c.work_dir), "--input", str(c.workload_path),
                          *c.workload_args()],
        peer=lambda c: [c.sluice_bench, "collection", "--figure", "write", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer_name="collection.write",
        note="sluice run of a files capture (read, parse, validate, combine, append, commit); target >= 300k docs/s",
        extra_metrics=["transactions"],
    ),
    *[
        Pair(
            figure=f"capture.http.batch{batch}",
            metric="docs_per_s",
            sluice=lambda c, batch=batch, requests=requests: [c.sluice_bench, "capture.http", "--batch", str(batch), "--requests",
                                                              str(requests), "--work-dir", str(c.work_dir), *c.workload_args()],
            peer=lambda c, batch=batch, requests=requests: [sys.executable, str(PEERS / "http_ingest_peer.py"), "--sluice-bench",
                                                            c.sluice_bench, "--work-dir", str(c.work_dir), "--batch", str(batch),
                                                            "--requests", str(requests), *c.workload_args()],
            peer_name="Python http.server + fsync",
            note="16 keep-alive connections, closed loop; each answer waits for the durable commit",
            extra_metrics=["requests_per_s", "p50_ms", "p99_ms"],
        )
        for batch, requests in ((1, 5_000), (100, 2_000))
    ],
    # SluiceCapture postgres-cdc (docs/captures.md): each side starts its own throwaway server,
    # makes its slot, applies the same changes untimed, then times receiving them.
    Pair(
        figure="cdc.capture",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "cdc", "--sql", str(cdc_workload(c)), "--work-dir", str(c.work_dir)],
        peer=lambda c: [sys.executable, str(PEERS / "postgres_cdc_peer.py"), "--sql", str(cdc_workload(c)),
                        "--work-dir", str(c.work_dir)],
        peer_name="pg_recvlogical",
        setup=cdc_setup,
        extra_metrics=["transactions"],
        note="inserts/updates/deletes (50/35/15%) in 20-change transactions; Sluice: documents committed to a collection, "
             "peer: pgoutput streamed to /dev/null",
    ),
    # SluiceDerive (docs/derivations.md): the workload, committed in a source collection, derived
    # into a sum-reduced collection through the runtime's derivation transactions.
    Pair(
        figure="derive.sqlite",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "derive", "--kind", "sqlite", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer=lambda c: [sys.executable, str(PEERS / "sqlite_lambda_peer.py"), str(c.workload_path)],
        peer_name="python sqlite3, same lambda per document",
        setup=ensure_workload,
        note="SELECT $id, $amount AS total; read committed, lambda, validate + combine, publish, commit, ACK; target >= 200k docs/s",
        extra_metrics=["read_apply_docs_per_s"],
    ),
    Pair(
        figure="derive.swift",
        metric="docs_per_s",
        sluice=lambda c: [c.sluice_bench, "derive", "--kind", "swift", "--work-dir", str(c.work_dir), *c.workload_args()],
        peer=None,
        note="a Swift closure publishing {id, total}; same transactions; target >= 1M docs/s",
        extra_metrics=["read_apply_docs_per_s"],
    ),
]


def summarize(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


def format_rate(value: float, metric: str) -> str:
    if metric == "mb_per_s":
        return f"{value:,.1f} MB/s"
    return f"{value:,.0f} docs/s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="folder of the release build (swift build -c release --show-bin-path)")
    parser.add_argument("--size", choices=SIZES, default="standard")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (alternated)")
    parser.add_argument("--only", default="", help="comma-separated figure prefixes")
    parser.add_argument("--markdown", help="append a markdown table of this run to FILE")
    args = parser.parse_args()

    documents, keys = SIZES[args.size]
    work_dir = RESULTS / "work"
    work_dir.mkdir(parents=True, exist_ok=True)
    ctx = Context(
        bin_dir=Path(args.bin).resolve(),
        documents=documents,
        keys=keys,
        work_dir=work_dir,
        workload_path=work_dir / f"workload-{documents}-{keys}.jsonl",
    )
    for binary in (ctx.sluice, ctx.sluice_bench):
        if not os.access(binary, os.X_OK):
            print(f"error: {binary} is not built; run `make release` first", file=sys.stderr)
            return 2
    ensure_workload(ctx)

    prefixes = [p for p in args.only.split(",") if p]
    selected = [p for p in PAIRS if not prefixes or any(p.figure.startswith(x) for x in prefixes)]
    started = datetime.datetime.now(datetime.timezone.utc)
    machine = f"{platform.node()} {os.cpu_count()} cores, {platform.platform()}"
    print(f"# {started:%Y-%m-%d %H:%M} UTC, {machine}, {documents} documents / {keys} keys, {args.runs} runs each")

    rows = []
    for pair in selected:
        if pair.setup:
            pair.setup(ctx)
        sluice_values, peer_values, raw = [], [], []
        try:
            for _ in range(args.runs):
                result = run_json(pair.sluice(ctx))
                raw.append(result)
                sluice_values.append(result[pair.metric])
                if pair.peer:
                    peer_result = run_json(pair.peer(ctx))
                    raw.append(peer_result)
                    peer_values.append(peer_result[pair.metric])
        except (RuntimeError, FileNotFoundError) as error:
            print(f"{pair.figure}: FAILED: {error}", file=sys.stderr)
            rows.append({"figure": pair.figure, "error": str(error)})
            continue
        s_med, s_min, s_max = summarize(sluice_values)
        row = {"figure": pair.figure, "metric": pair.metric, "sluice": [s_med, s_min, s_max], "raw": raw}
        line = f"{pair.figure:<28} sluice {format_rate(s_med, pair.metric)} ({format_rate(s_min, pair.metric)}–{format_rate(s_max, pair.metric)})"
        if pair.peer:
            p_med, p_min, p_max = summarize(peer_values)
            ratio = s_med / p_med if p_med else float("inf")
            row.update({"peer": pair.peer_name, "peer_values": [p_med, p_min, p_max], "ratio": ratio})
            line += f" | {pair.peer_name} {format_rate(p_med, pair.metric)} ({format_rate(p_min, pair.metric)}–{format_rate(p_max, pair.metric)}) | ratio {ratio:.2f}x"
            if pair.target_ratio is not None:
                verdict = "meets" if ratio >= pair.target_ratio else "MISSES"
                line += f" ({verdict} target {pair.target_ratio}x)"
                row["target"] = pair.target_ratio
        for name in pair.extra_metrics:
            values = [r[name] for r in raw if r.get("subject") == "sluice" and name in r]
            if values:
                med, lo, hi = summarize(values)
                line += f" | {name} {med:.3f} ({lo:.3f}–{hi:.3f})"
                row[name] = [med, lo, hi]
        if pair.note:
            line += f"  [{pair.note}]"
        print(line, flush=True)
        rows.append(row)

    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"{started:%Y%m%dT%H%M%S}-{args.size}.json"
    out.write_text(json.dumps({"started": started.isoformat(), "machine": machine, "size": args.size,
                               "runs": args.runs, "rows": rows}, indent=1))
    print(f"# results: {out.relative_to(ROOT)}")
    if args.markdown:
        with open(args.markdown, "a") as md:
            md.write(f"\n### {started:%Y-%m-%d} — `{' '.join(sys.argv)}`\n\n")
            md.write("| figure | Sluice (median, min–max) | peer | peer (median, min–max) | ratio | target |\n|---|---|---|---|---|---|\n")
            for row in rows:
                if "error" in row:
                    md.write(f"| {row['figure']} | failed | | | | |\n")
                    continue
                metric = row["metric"]
                s = row["sluice"]
                cells = [row["figure"], f"{format_rate(s[0], metric)} ({format_rate(s[1], metric)}–{format_rate(s[2], metric)})"]
                if "peer" in row:
                    p = row["peer_values"]
                    cells += [row["peer"], f"{format_rate(p[0], metric)} ({format_rate(p[1], metric)}–{format_rate(p[2], metric)})",
                              f"{row['ratio']:.2f}x", f"{row.get('target', '')}"]
                else:
                    cells += ["—", "—", "—", "—"]
                md.write("| " + " | ".join(cells) + " |\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
