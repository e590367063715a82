#!/bin/sh
# Writes the lab's two question recordings as scap captures (gzip), for the scenarios that check scap traces
# and for anyone who wants to replay them in sysdig or Falco. Deterministic: same recordings, same bytes.
# Run from the repository root after building: swift build && sh traces/record/export-scap.sh
set -eu
tracelab=${TRACELAB:-.build/debug/tracelab}
for name in q1-cat-shadow q2-shell-in-nginx; do
    "$tracelab" export --format scap -o "traces/scap/$name.scap" "traces/syscalls/$name.strace"
    gzip -9 -n -f "traces/scap/$name.scap"
done
