#!/usr/bin/env bash
# Quickstart: until the catalog pipeline exists, a journal demo.
# Usage: examples/quickstart/run.sh PATH/TO/sluice
set -euo pipefail
sluice="${1:?usage: run.sh PATH/TO/sluice}"
"$sluice" workload generate --documents 10 --keys 5
