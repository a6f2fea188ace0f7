#!/usr/bin/env python3
"""Peers of the journal's figures, timed the way sluice-bench times Sluice's side.

Each prints one JSON line of the shape Benchmarks/compare.py pairs:
{"figure": ..., "subject": ..., "documents": N, "bytes": N, "seconds": S, "docs_per_s": R, "mb_per_s": R}

    journal_peers.py dd --input WORKLOAD --output FILE --documents N
        `dd if=WORKLOAD of=FILE bs=1M conv=fdatasync` (FILE removed first, as Sluice starts
        from a fresh journal, then `sync` so earlier writeback is not timed), after one untimed
        warm-up run: the device's durable write speed on the same filesystem.
    journal_peers.py decompress --tool lz4|zstd|cat --journal-root DIR --documents N --keys K
        `lz4 -d -m -c` / `zstd -d -c` / `cat` of the sealed fragments of the replay journal
        (the very files Sluice reads) to /dev/null.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import time

EXTENSIONS = {"lz4": "lz4", "zstd": "zst", "cat": "raw"}
FIGURES = {"lz4": "journal.replay.lz4", "zstd": "journal.replay.zst", "cat": "journal.replay.raw"}


def emit(figure: str, subject: str, documents: int, size: int, seconds: float) -> None:
    print(json.dumps({
        "figure": figure, "subject": subject, "documents": documents, "bytes": size, "seconds": seconds,
        "docs_per_s": round(documents / seconds) if seconds > 0 else 0,
        "mb_per_s": round(size / seconds / 1e6, 2) if seconds > 0 else 0,
    }))


def run_dd(args: argparse.Namespace) -> int:
    size = os.path.getsize(args.input)
    command = ["dd", f"if={args.input}", f"of={args.output}", "bs=1M", "conv=fdatasync", "status=none"]
    # One untimed run first, as sluice-bench journal.append does: on this project's VMs, writing
    # to blocks another program just freed is several times slower than rewriting one's own.
    for timed in (False, True):
        if os.path.exists(args.output):
            os.remove(args.output)
        # Write back everything pending (earlier files, their deletion's discards) so that it is
        # not billed to this run; sluice-bench journal.append does the same.
        os.sync()
        start = time.perf_counter()
        subprocess.run(command, check=True)
        seconds = time.perf_counter() - start
    os.remove(args.output)
    emit("journal.append", "dd", args.documents, size, seconds)
    return 0


def run_decompress(args: argparse.Namespace) -> int:
    extension = EXTENSIONS[args.tool]
    pattern = os.path.join(args.journal_root, "journals", "bench",
                           f"replay-{extension}-{args.documents}-{args.keys}-*", "@journal", "fragments", f"*.{extension}")
    files = sorted(glob.glob(pattern))
    if not files:
        print(f"no fragments match {pattern}; run `sluice-bench journal.replay --prepare` first", file=sys.stderr)
        return 2
    # Content bytes from the names: <begin:016x>-<end:016x>-<sha1>.<ext>
    size = sum(int(os.path.basename(f)[17:33], 16) - int(os.path.basename(f)[0:16], 16) for f in files)
    command = {"lz4": ["lz4", "-d", "-m", "-c", "-q"], "zstd": ["zstd", "-d", "-c", "-q"], "cat": ["cat"]}[args.tool]
    with open(os.devnull, "wb") as sink:
        start = time.perf_counter()
        subprocess.run(command + files, stdout=sink, check=True)
        seconds = time.perf_counter() - start
    emit(FIGURES[args.tool], f"{args.tool} -d" if args.tool != "cat" else "cat", args.documents, size, seconds)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    dd = commands.add_parser("dd")
    dd.add_argument("--input", required=True)
    dd.add_argument("--output", required=True)
    dd.add_argument("--documents", type=int, required=True)
    decompress = commands.add_parser("decompress")
    decompress.add_argument("--tool", choices=sorted(EXTENSIONS), required=True)
    decompress.add_argument("--journal-root", required=True)
    decompress.add_argument("--documents", type=int, required=True)
    decompress.add_argument("--keys", type=int, required=True)
    args = parser.parse_args()
    return run_dd(args) if args.command == "dd" else run_decompress(args)


if __name__ == "__main__":
    sys.exit(main())
