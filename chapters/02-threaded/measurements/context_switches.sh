#!/bin/sh
# Context switches and CPU time per round trip, 02-threaded against 06-epoll,
# under the bench's closed-loop load (64 B messages).
# Run from the repository root: sh chapters/02-threaded/measurements/context_switches.sh
# Needs perf (Debian: linux-perf). Writes context_switches.txt beside itself.
set -eu
export DENO_NO_UPDATE_CHECK=1
out=chapters/02-threaded/measurements/context_switches.txt
{
  echo "# $(date -u +%FT%TZ) $(uname -sr), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
  echo "# deno $(deno --version | head -1 | cut -d' ' -f2); load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# server connections round_trips_in_2s context_switches cs_per_round_trip task_clock_ms cpu_us_per_round_trip"
} >"$out"
for server in "chapters/02-threaded/server.ts" "chapters/06-epoll/server.ts"; do
  for conns in 10 100; do
    for repeat in 1 2 3; do
      log=$(mktemp)
      deno run --allow-all "$server" --port 0 >"$log" 2>&1 &
      pid=$!
      while ! grep -q listening "$log"; do sleep 0.1; done
      port=$(sed -n 's/.*listening on [^:]*:\([0-9]*\).*/\1/p' "$log")
      deno run --allow-all bench/loadgen.ts --port "$port" --server-pid "$pid" \
        --connections "$conns" --rounds 4 --round-ms 1000 --warmup-ms 500 >"$log.load" &
      load_pid=$!
      # count 2 s in the middle of the timed rounds, after every connection is
      # open (02 starts its Workers then) and the warm-up is over
      while ! grep -q '"connected"' "$log.load"; do sleep 0.05; done
      sleep 1
      perf stat -x, -e context-switches,task-clock -p "$pid" -o "$log.perf" -- sleep 2
      wait "$load_pid"
      kill -TERM "$pid"; wait "$pid" || true
      # round trips in the 2 s window: twice the mean rate of the 1 s rounds
      trips=$(grep -o '"roundTrips":[0-9]*' "$log.load" | cut -d: -f2 | paste -sd+ | sed 's|.*|(&)/2|' | bc)
      cs=$(grep context-switches "$log.perf" | cut -d, -f1)
      ms=$(grep task-clock "$log.perf" | cut -d, -f1)
      echo "$(basename "$(dirname "$server")") $conns $trips $cs $(echo "scale=2; $cs/$trips" | bc) $ms $(echo "scale=1; $ms*1000/$trips" | bc)" >>"$out"
      rm -f "$log" "$log.perf" "$log.load"
    done
  done
done
cat "$out"
