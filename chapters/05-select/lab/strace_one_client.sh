#!/bin/bash
# The select server's main thread echoing one client and then stopping on
# SIGTERM: the server under `strace -f -e trace=pselect6,accept4,recvfrom,sendto,close`
# on port 7205, one `echo "hello, select" | deno task client`, then SIGTERM.
# Prints the main thread's calls from the pselect6 that saw the client's
# connection to the end. Run with bash from chapters/05-select; results in
# lab/strace_one_client.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), $(strace -V | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/strace_one_client.sh"
log=$(mktemp)
strace -f -qq -o "$log" -e trace=pselect6,accept4,recvfrom,sendto,close \
  deno run --allow-ffi server.ts --port 7205 &
until (: </dev/tcp/127.0.0.1/7205) 2>/dev/null; do sleep 0.2; done
echo "hello, select" | deno task client --port 7205 2>/dev/null
# strace blocks fatal signals for itself when it writes to a file (-I 3):
# signal the server, and strace exits with it.
server=$(pgrep -P $!)
kill -TERM "$server"; wait
# The main thread's id is the process id; the last accept4 that returned a
# descriptor is the client's (the one before it was the readiness probe).
grep -a "^$server " "$log" | sed "s/^$server *//" > "$log.main"
first=$(grep -an 'SOCK_NONBLOCK) = [0-9][0-9]*$' "$log.main" | tail -1 | cut -d: -f1)
tail -n +$((first - 1)) "$log.main"
rm "$log" "$log.main"
