#!/bin/bash
# The io_uring server at a full descriptor table: started with 64 descriptors
# (prlimit --nofile=64:64) on port 7209, 100 clients connect from this shell.
# Counts its CPU ticks (10 ms each) and `accept: EMFILE` lines over 1 s, checks
# that a held client still gets its echo, lets the other 99 go, and checks
# that a new client is accepted and echoed. Run with bash from chapters/09-io-uring;
# results in lab/emfile.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/emfile.sh"
errors=$(mktemp)
prlimit --nofile=64:64 deno run --allow-ffi server.ts --port 7209 2>"$errors" &
server=$!
until (: </dev/tcp/127.0.0.1/7209) 2>/dev/null; do sleep 0.2; done
clients=()
for i in $(seq 100); do exec {fd}<>/dev/tcp/127.0.0.1/7209; clients+=($fd); done
sleep 1
e0=$(grep -c EMFILE "$errors" || true)
a=$(awk '{print $14 + $15}' /proc/$server/stat); sleep 1
b=$(awk '{print $14 + $15}' /proc/$server/stat)
e1=$(grep -c EMFILE "$errors" || true)
echo "over 1 s with 100 clients: $((b - a)) ticks, $((e1 - e0)) EMFILE lines"
echo "first EMFILE line: $(grep -m1 EMFILE "$errors")"
echo ping >&${clients[0]}; echo "held client 1 echoed: $(head -c 5 <&${clients[0]})"
for fd in "${clients[@]:1}"; do exec {fd}>&-; done
sleep 0.5 # the 100 ms pause runs out; the queued clients are accepted, and end
exec {late}<>/dev/tcp/127.0.0.1/7209; echo pong >&$late
echo "after 99 left, a new client echoed: $(timeout 5 head -c 5 <&$late)"
kill -INT $server; wait $server && echo "server exited 0"
rm "$errors"
