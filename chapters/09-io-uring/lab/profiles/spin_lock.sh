#!/bin/bash
# Where the io_uring server's CPU goes at 100 connections x 64 B, against
# chapter 06's epoll server: each runs alone on port 7211 under the bench's
# load generator (closed loop, 8 rounds of 1 s), and `perf record -g` samples
# it for 5 s in the middle of the load. Prints, per server, the share of
# samples by binary and the kernel's socket-lock slow path and interrupt
# return (a symbol absent from the list had no sample). Run with bash from
# chapters/09-io-uring, as root; results in lab/profiles/spin_lock.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), $(perf --version), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/profiles/spin_lock.sh"
dir=$(mktemp -d)
gcc -O2 -pthread -o "$dir/loadgen" ../../bench/loadgen/loadgen.c
for chapter in 09-io-uring 06-epoll; do
  (cd ../$chapter && exec deno run --allow-ffi --v8-flags=--perf-basic-prof server.ts --port 7211) >/dev/null &
  server=$!
  until (: </dev/tcp/127.0.0.1/7211) 2>/dev/null; do sleep 0.2; done
  "$dir/loadgen" --port 7211 --phase=load --connections=100 --size=64 \
    --rounds=8 --round-ms=1000 --server-pid=$server >"$dir/load" &
  sleep 2
  perf record -q -F 999 -g -o "$dir/perf.data" -p $server -- sleep 5 2>/dev/null
  wait %2
  echo "## $chapter: perf record -F 999 -g -p PID -- sleep 5; load generator rounds:"
  grep -o '"round":[0-9]*,"connections":[0-9]*,"roundTrips":[0-9]*' "$dir/load"
  echo "# samples by binary (perf report --no-children --sort dso -g none):"
  perf report -i "$dir/perf.data" --stdio --no-children --sort dso -g none 2>/dev/null |
    grep '%' | head -6
  echo "# the socket-lock slow path and the return from interrupts (--sort sym):"
  perf report -i "$dir/perf.data" --stdio --no-children --sort sym -g none 2>/dev/null |
    grep -e __pv_queued_spin_lock_slowpath -e irqentry_exit_to_user_mode || true
  kill -INT $server; wait $server
  rm -f /tmp/perf-$server.map
done
rm -r "$dir"
