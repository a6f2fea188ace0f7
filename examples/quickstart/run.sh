#!/usr/bin/env bash
# Quickstart: until the catalog pipeline exists, a journal demo. It generates the standard
# workload's documents, appends them to a journal (zstd-compressed fragments, group commit),
# reads the journal back, checks the bytes match, and prints a summary.
#
# Usage: examples/quickstart/run.sh PATH/TO/sluice        (`make quickstart` builds and runs it)
# Environment: DOCUMENTS (default 100000), SLUICE_DATA_DIR (default ./sluice-data).
set -euo pipefail
sluice="${1:?usage: run.sh PATH/TO/sluice}"
documents="${DOCUMENTS:-100000}"
data="${SLUICE_DATA_DIR:-./sluice-data}"
journal="quickstart/orders"
work="$(mktemp -d "${TMPDIR:-/tmp}/sluice-quickstart.XXXXXX")"
trap 'rm -rf "$work"' EXIT

now() { date +%s.%N; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", (s > 0 ? b / s / 1e6 : 0) }'; }

# A fresh demo journal each run (other journals in the data directory are left alone).
rm -rf "$data/journals/$journal/@journal"

"$sluice" workload generate --documents "$documents" --keys $(( documents > 10 ? documents / 10 : 1 )) > "$work/workload.jsonl"
bytes=$(wc -c < "$work/workload.jsonl")

start=$(now)
"$sluice" journals append "$journal" --data-dir "$data" --codec zstd:1 --fragment-bytes 8MiB --seal \
  < "$work/workload.jsonl" > "$work/append.json"
appended=$(now)
"$sluice" journals read "$journal" --data-dir "$data" > "$work/read.jsonl"
read_back=$(now)

if ! cmp -s "$work/workload.jsonl" "$work/read.jsonl"; then
  echo "quickstart: the bytes read back differ from the bytes appended" >&2
  exit 1
fi

"$sluice" journals fragments "$journal" --data-dir "$data" > "$work/fragments.tsv"
fragments=$(awk -F'\t' 'NR > 1 && $5 != "spool"' "$work/fragments.tsv" | wc -l)
stored=$(awk -F'\t' 'NR > 1 && $5 != "spool" { sum += $4 } END { print sum + 0 }' "$work/fragments.tsv")
appends=$(sed -E 's/.*"appends":([0-9]+).*/\1/' "$work/append.json")
append_seconds=$(awk -v a="$start" -v b="$appended" 'BEGIN { print b - a }')
read_seconds=$(awk -v a="$appended" -v b="$read_back" 'BEGIN { print b - a }')

echo "Sluice quickstart: journal $journal in $data"
printf '  documents      %d\n' "$documents"
printf '  bytes          %d (read back identical)\n' "$bytes"
printf '  appends        %d (atomic batches of whole lines, durable under group commit)\n' "$appends"
printf '  fragments      %d sealed zstd fragments, %d bytes stored (%.1fx smaller)\n' \
  "$fragments" "$stored" "$(awk -v b="$bytes" -v s="$stored" 'BEGIN { print (s > 0 ? b / s : 0) }')"
printf '  append         %s MB/s (sluice journals append, including sealing)\n' "$(rate "$bytes" "$append_seconds")"
printf '  read back      %s MB/s (sluice journals read, decompressing)\n' "$(rate "$bytes" "$read_seconds")"
echo "Try: $sluice journals fragments $journal --data-dir $data"
echo "     $sluice journals read $journal --data-dir $data --offset -1 --block   # tail new appends"
