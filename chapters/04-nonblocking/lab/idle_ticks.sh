#!/bin/bash
# The busy loop with no client at all: CPU ticks (10 ms each, user + system,
# fields 14 and 15 of /proc/PID/stat) in five 1-second windows in a row, then
# the process's total user and system ticks after 7 s. Port 7204.
# Run with bash from chapters/04-nonblocking; results in
# lab/idle_ticks.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/idle_ticks.sh"
deno task server --port 7204 2>/dev/null &
until (: </dev/tcp/127.0.0.1/7204) 2>/dev/null; do sleep 0.2; done
pid=$(pgrep -P $!)
for run in 1 2 3 4 5; do
  a=$(awk '{print $14 + $15}' /proc/$pid/stat); sleep 1
  b=$(awk '{print $14 + $15}' /proc/$pid/stat)
  echo "run $run: $((b - a)) of 100 clock ticks in 1 s"
done
sleep 2
awk '{print "7 s after listening: user", $14, "system", $15}' /proc/$pid/stat
echo "# load at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
kill $pid; wait
