#!/bin/bash
# The busy loop's system calls while one client comes and goes: the server
# under `strace -f -e trace=accept4,recvfrom,sendto,close` on port 7203, one
# `echo "hello, busy loop" | deno task client`, then stop. Prints the calls
# from three before the accepted connection to three after its close.
# Run with bash from chapters/04-nonblocking; results in
# lab/strace_one_client.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), $(strace -V | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/strace_one_client.sh"
log=$(mktemp)
strace -f -qq -o "$log" -e trace=accept4,recvfrom,sendto,close \
  deno run --allow-ffi server.ts --port 7203 &
until (: </dev/tcp/127.0.0.1/7203) 2>/dev/null; do sleep 0.2; done
echo "hello, busy loop" | deno task client --port 7203 2>/dev/null
# strace blocks SIGINT for itself when it writes to a file (-I 3): stop the
# server, and strace exits with it.
kill -INT "$(pgrep -P $!)"; wait
echo "# $(grep -ac 'accept4(' "$log") accept4 calls in all; the excerpt, pids cut:"
# The client's connection is the last accept4 that returned a descriptor (the
# one before it was the readiness probe); the log has binary bytes, hence -a.
fd=$(grep -ao 'SOCK_NONBLOCK) = [0-9][0-9]*$' "$log" | tail -1 | grep -o '[0-9]*$')
first=$(grep -an "SOCK_NONBLOCK) = $fd\$" "$log" | tail -1 | cut -d: -f1)
last=$(grep -an "^[0-9]* *close($fd)" "$log" | tail -1 | cut -d: -f1)
sed -n "$((first - 3)),$((last + 3))p" "$log" | sed 's/^[0-9]* *//'
rm "$log"
