#!/bin/sh
# Context switches and CPU time per round trip, 02-threaded against 06-epoll,
# under the bench's closed-loop load (64 B messages, the bench's load
# generator, bench/loadgen/loadgen.c, built with gcc as bench/gcc.ts does).
# Run from anywhere (it moves to the repository root itself), e.g. from the root:
# sh chapters/02-threaded/lab/context_switches.sh
# Needs gcc and perf (Debian: linux-perf). Each of the 12 runs is bounded
# (30 s); the results replace context_switches.txt beside this script only
# when every run succeeded, so a failed run leaves the committed file whole.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eu
cd "$(dirname "$0")/../../.."
export DENO_NO_UPDATE_CHECK=1
out=chapters/02-threaded/lab/context_switches.txt
work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
gcc -O2 -pthread -o "$work/loadgen" bench/loadgen/loadgen.c
{
  echo "# $(date -u +%FT%TZ) $(uname -sr), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# deno $(deno --version | head -1 | cut -d' ' -f2); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# server connections round_trips_in_2s context_switches cs_per_round_trip task_clock_ms cpu_us_per_round_trip"
} >"$work/out"
for server in "chapters/02-threaded/server.ts" "chapters/06-epoll/server.ts"; do
  for conns in 10 100; do
    for repeat in 1 2 3; do
      log="$work/server" load="$work/load" perf="$work/perf"
      : >"$log"
      deno run --allow-all "$server" --port 0 >"$log" 2>&1 &
      pid=$!
      timeout 30 sh -c "until grep -q listening '$log'; do sleep 0.1; done"
      port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$log")
      timeout 30 "$work/loadgen" --port "$port" --server-pid "$pid" --phase load \
        --connections "$conns" --size 64 --rounds 4 --round-ms 1000 --warmup-ms 500 >"$load" &
      load_pid=$!
      # count 2 s in the middle of the timed rounds, after every connection is
      # open (02 starts its Workers then) and the warm-up is over
      timeout 30 sh -c "until grep -q '\"connected\"' '$load'; do sleep 0.05; done"
      sleep 1
      perf stat -x, -e context-switches,task-clock -p "$pid" -o "$perf" -- sleep 2
      wait "$load_pid"
      kill -TERM "$pid"; wait "$pid" || true
      pid=
      # round trips in the 2 s window: twice the mean rate of the 1 s rounds
      trips=$(grep -o '"roundTrips":[0-9]*' "$load" | cut -d: -f2 | paste -sd+ | sed 's|.*|(&)/2|' | bc)
      cs=$(grep context-switches "$perf" | cut -d, -f1)
      ms=$(grep task-clock "$perf" | cut -d, -f1)
      echo "$(basename "$(dirname "$server")") $conns $trips $cs $(echo "scale=2; $cs/$trips" | bc) $ms $(echo "scale=1; $ms*1000/$trips" | bc)" >>"$work/out"
    done
  done
done
cat "$work/out" >"$out"
cat "$out"
