#!/usr/bin/env python3
"""Peer of `cdc.capture`: the same PostgreSQL changes received with pg_recvlogical.

Usage: postgres_cdc_peer.py --sql FILE [--dsn-socket DIR --port P] [--work-dir DIR]

Starts a throwaway PostgreSQL server (Debian's binaries, the settings of SluiceTestSupport's
PostgresServer: wal_level=logical, fsync=off, synchronous_commit=off, full_page_writes=off,
shared_buffers=32MB), creates the table and a publication, creates a pgoutput slot, applies
the workload file (sluice-bench cdc --write-sql: one source transaction per line) untimed,
then times `pg_recvlogical --start --endpos <end of the changes>` streaming the slot with
pgoutput (proto_version 1, the publication) to /dev/null: decoding and receiving the changes,
without turning them into documents and without committing anything. Prints one JSON line
in the shape of sluice-bench's.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time


def binaries() -> str:
    versions = sorted((int(os.path.basename(p)) for p in glob.glob("/usr/lib/postgresql/*") if os.path.basename(p).isdigit()),
                      reverse=True)
    for version in versions:
        folder = f"/usr/lib/postgresql/{version}/bin"
        if os.access(f"{folder}/postgres", os.X_OK) and os.access(f"{folder}/pg_recvlogical", os.X_OK):
            return folder
    sys.exit("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: install Debian's postgresql")


def as_postgres(command: list[str]) -> list[str]:
    """initdb and postgres refuse to run as root: run them as the postgres user then."""
    if os.geteuid() == 0:
        return ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups", "--", *command]
    return command


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    def __init__(self, work_dir: str):
        self.bin = binaries()
        self.dir = tempfile.mkdtemp(prefix="sluice-cdc-peer-", dir=work_dir)
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = os.path.join(self.dir, "data")
        subprocess.run(as_postgres([f"{self.bin}/initdb", "-D", self.data, "--username=postgres", "--auth=trust",
                                    "--encoding=UTF8", "--locale=C", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        self.port = free_port()
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("\n".join([
                "listen_addresses = ''", f"port = {self.port}", f"unix_socket_directories = '{self.dir}'",
                "wal_level = logical", "max_replication_slots = 16", "max_wal_senders = 16",
                "fsync = off", "synchronous_commit = off", "full_page_writes = off", "shared_buffers = 32MB",
                "log_min_messages = warning"]) + "\n")
        self.log = open(os.path.join(self.dir, "postgres.log"), "w")
        self.process = subprocess.Popen(as_postgres([f"{self.bin}/postgres", "-D", self.data]), stdout=self.log, stderr=self.log)
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with open(os.path.join(self.data, "postmaster.pid")) as pid:
                    lines = pid.read().split("\n")
                if len(lines) >= 8 and lines[7].strip() == "ready":
                    return
            except FileNotFoundError:
                pass
            time.sleep(0.02)
        self.stop()
        sys.exit("PostgreSQL was not ready within 60 s")

    def connection(self) -> list[str]:
        return ["-h", self.dir, "-p", str(self.port), "-U", "postgres", "-d", "postgres"]

    def psql(self, sql: str | None = None, file: str | None = None) -> str:
        command = [f"{self.bin}/psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", *self.connection()]
        command += ["-c", sql] if sql is not None else ["-f", file]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout.strip()

    def stop(self) -> None:
        self.process.send_signal(3)  # SIGQUIT: immediate shutdown
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sql", required=True, help="the workload file (sluice-bench cdc --write-sql)")
    parser.add_argument("--work-dir", default=tempfile.gettempdir())
    args = parser.parse_args()

    with open(args.sql) as workload:
        lines = workload.read().splitlines()
    table, transactions = lines[1], lines[2:]
    changes = sum(len(line.split("; ")) - 2 for line in transactions)
    os.makedirs(args.work_dir, exist_ok=True)
    server = Server(args.work_dir)
    try:
        server.psql(table)
        server.psql("CREATE PUBLICATION peer FOR TABLE public.bench_orders WITH (publish = 'insert, update, delete')")
        server.psql("SELECT pg_create_logical_replication_slot('peer', 'pgoutput')")
        before = server.psql("SELECT pg_current_wal_insert_lsn()")
        body = os.path.join(server.dir, "transactions.sql")
        with open(body, "w") as out:
            out.write("\n".join(transactions) + "\n")
        server.psql(file=body)
        end = server.psql("SELECT pg_current_wal_insert_lsn()")
        wal_bytes = int(server.psql(f"SELECT pg_wal_lsn_diff('{end}', '{before}')::bigint"))

        started = time.perf_counter()
        subprocess.run([f"{server.bin}/pg_recvlogical", *server.connection(), "--slot", "peer", "--start", "--endpos", end,
                        "-o", "proto_version=1", "-o", "publication_names=peer", "--no-loop", "-f", "/dev/null"], check=True)
        seconds = time.perf_counter() - started
    finally:
        server.stop()
    print(json.dumps({"figure": "cdc.capture", "subject": "pg_recvlogical", "documents": changes, "bytes": wal_bytes,
                      "seconds": seconds, "docs_per_s": round(changes / seconds), "mb_per_s": round(wal_bytes / seconds / 1e6, 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
