#!/usr/bin/env python3
"""Peers for materialize.sqlite and materialize.postgres: the workload upserted from Python.

    python3 Benchmarks/peers/materialize_peers.py sqlite FILE --db PATH [--batch N]
    python3 Benchmarks/peers/materialize_peers.py postgres-upsert FILE --dsn DSN [--batch N]
    python3 Benchmarks/peers/materialize_peers.py postgres-copy FILE --dsn DSN

Each reads the workload's JSON lines, parses every line (json.loads), and stores the same
columns as Sluice's table: the key `id`, the top-level scalar fields (amount, note, qty, seq,
ts) and the whole document (`flow_document`, the line as it is: no re-serialization).

- sqlite: Python's sqlite3, WAL and synchronous=NORMAL (Sluice's settings), `executemany` of
  `INSERT … ON CONFLICT (id) DO UPDATE` in batches of N (10,000) rows, one commit per batch. The
  upsert reduces in SQL like Sluice's schema does (sum amount and qty, maximum ts, last note and
  seq), but keeps the last document as it is (Sluice reduces the document too).
- postgres-upsert: psycopg 3 (installed from PyPI if missing), the same upsert through
  `executemany` (pipelined by psycopg), one commit per batch.
- postgres-copy: COPY of every row into a table without a key (no upsert), one transaction:
  the bulk-load ceiling, for reference.

Timed from opening the file to the last commit. Prints one JSON line in sluice-bench's shape.
"""
import argparse
import json
import os
import subprocess
import sys
import time

COLUMNS = ("id", "amount", "note", "qty", "seq", "ts", "flow_document")


def rows(path: str):
    with open(path, "rb") as lines:
        for line in lines:
            document = json.loads(line)
            yield (document["id"], document["amount"], document["note"], document["qty"], document["seq"], document["ts"],
                   line.rstrip(b"\n").decode())


def emit(figure: str, subject: str, documents: int, size: int, seconds: float, **extra) -> None:
    result = {"figure": figure, "subject": subject, "documents": documents, "bytes": size, "seconds": seconds,
              "docs_per_s": round(documents / seconds), "mb_per_s": round(size / seconds / 1e6, 2)}
    result.update(extra)
    print(json.dumps(result))


def sqlite_upsert(path: str, database: str, batch: int) -> None:
    import sqlite3

    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(database + suffix):
            os.remove(database + suffix)
    connection = sqlite3.connect(database, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("CREATE TABLE events (id TEXT NOT NULL PRIMARY KEY, amount REAL, note TEXT, qty INTEGER, seq INTEGER, "
                       "ts TEXT, flow_document TEXT NOT NULL)")
    statement = ("INSERT INTO events (id, amount, note, qty, seq, ts, flow_document) VALUES (?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (id) DO UPDATE SET amount = amount + excluded.amount, note = excluded.note, "
                 "qty = qty + excluded.qty, seq = excluded.seq, ts = max(ts, excluded.ts), flow_document = excluded.flow_document")
    started = time.perf_counter()
    documents = 0
    pending = []
    for row in rows(path):
        pending.append(row)
        if len(pending) == batch:
            connection.execute("BEGIN")
            connection.executemany(statement, pending)
            connection.execute("COMMIT")
            documents += len(pending)
            pending = []
    if pending:
        connection.execute("BEGIN")
        connection.executemany(statement, pending)
        connection.execute("COMMIT")
        documents += len(pending)
    seconds = time.perf_counter() - started
    stored = connection.execute("SELECT count(*) FROM events").fetchone()[0]
    connection.close()
    emit("materialize.sqlite", f"python sqlite3 {sqlite3.sqlite_version} batched upsert", documents, os.path.getsize(path), seconds,
         rows=stored, batch=batch)


def psycopg_module():
    try:
        import psycopg
    except ImportError:
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "psycopg[binary]"], check=True,
                       stdout=subprocess.DEVNULL)
        import psycopg
    return psycopg


def postgres_upsert(path: str, dsn: str, batch: int) -> None:
    psycopg = psycopg_module()
    with psycopg.connect(dsn) as connection:
        connection.execute("DROP TABLE IF EXISTS peer_events")
        connection.execute("CREATE TABLE peer_events (id text PRIMARY KEY, amount double precision, note text, qty bigint, "
                           "seq bigint, ts text, flow_document jsonb)")
        connection.commit()
        statement = ("INSERT INTO peer_events (id, amount, note, qty, seq, ts, flow_document) VALUES (%s, %s, %s, %s, %s, %s, %s) "
                     "ON CONFLICT (id) DO UPDATE SET amount = peer_events.amount + excluded.amount, note = excluded.note, "
                     "qty = peer_events.qty + excluded.qty, seq = excluded.seq, ts = greatest(peer_events.ts, excluded.ts), "
                     "flow_document = excluded.flow_document")
        started = time.perf_counter()
        documents = 0
        pending = []
        with connection.cursor() as cursor:
            for row in rows(path):
                pending.append(row)
                if len(pending) == batch:
                    cursor.executemany(statement, pending)
                    connection.commit()
                    documents += len(pending)
                    pending = []
            if pending:
                cursor.executemany(statement, pending)
                connection.commit()
                documents += len(pending)
        seconds = time.perf_counter() - started
        stored = connection.execute("SELECT count(*) FROM peer_events").fetchone()[0]
        connection.execute("DROP TABLE peer_events")
        connection.commit()
    emit("materialize.postgres", f"psycopg {psycopg.__version__} batched upsert", documents, os.path.getsize(path), seconds,
         rows=stored, batch=batch)


def postgres_copy(path: str, dsn: str) -> None:
    psycopg = psycopg_module()
    with psycopg.connect(dsn) as connection:
        connection.execute("DROP TABLE IF EXISTS peer_copy")
        connection.execute("CREATE TABLE peer_copy (id text, amount double precision, note text, qty bigint, seq bigint, ts text, "
                           "flow_document jsonb)")
        connection.commit()
        started = time.perf_counter()
        documents = 0
        with connection.cursor() as cursor:
            with cursor.copy("COPY peer_copy (id, amount, note, qty, seq, ts, flow_document) FROM STDIN") as copy:
                for row in rows(path):
                    copy.write_row(row)
                    documents += 1
        connection.commit()
        seconds = time.perf_counter() - started
        connection.execute("DROP TABLE peer_copy")
        connection.commit()
    emit("materialize.postgres.copy", f"psycopg {psycopg.__version__} COPY", documents, os.path.getsize(path), seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=["sqlite", "postgres-upsert", "postgres-copy"])
    parser.add_argument("file")
    parser.add_argument("--db", help="SQLite database file (replaced)")
    parser.add_argument("--dsn", help="PostgreSQL DSN")
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()
    if args.mode == "sqlite":
        sqlite_upsert(args.file, args.db, args.batch)
    elif args.mode == "postgres-upsert":
        postgres_upsert(args.file, args.dsn, args.batch)
    else:
        postgres_copy(args.file, args.dsn)
    return 0


if __name__ == "__main__":
    sys.exit(main())
