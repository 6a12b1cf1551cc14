#!/bin/bash
# Garbage collections in the io_uring server under load: the server runs with
# V8's --trace-gc on port 7210, and the bench's load generator drives it (100
# connections, 4 KiB messages, 6 rounds of 1 s after a 0.5 s warm-up, closed
# loop). Prints the load generator's round lines and every GC line V8 wrote
# while the load ran. Run with bash from chapters/09-io-uring; results in
# lab/trace_gc.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/trace_gc.sh"
dir=$(mktemp -d)
gcc -O2 -pthread -o "$dir/loadgen" ../../bench/loadgen/loadgen.c
deno run --allow-ffi --v8-flags=--trace-gc server.ts --port 7210 >"$dir/out" &
server=$!
until (: </dev/tcp/127.0.0.1/7210) 2>/dev/null; do sleep 0.2; done
before=$(grep -c 'ms: ' "$dir/out" || true)
echo "# GC lines before the load: $before"
"$dir/loadgen" --port 7210 --phase=load --connections=100 --size=4096 \
  --rounds=6 --round-ms=1000 --server-pid=$server | grep -E '"event":"(connected|round)"'
echo "# GC lines during the load (warm-up, connecting included):"
tail -n +$((before + 1)) "$dir/out" | grep 'ms: ' || echo "(none)"
kill -INT $server; wait $server
rm -r "$dir"
