#!/bin/bash
# CPU used by the per-connection server over 5 s while 20 clients sit idle
# (each sent one line and got its echo), in clock ticks (10 ms each, user +
# system, fields 14 and 15 of /proc/PID/stat). Three runs, port 7201. Also
# lists the server's threads by name before the clients come and after.
# Run with bash from chapters/02-threaded; results in
# lab/idle_ticks.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/idle_ticks.sh"
deno task server --port 7201 2>/dev/null &
server=$!
until (: </dev/tcp/127.0.0.1/7201) 2>/dev/null; do sleep 0.2; done
PID=$(pgrep -P $server)
echo "# threads before the clients:"
cat /proc/$PID/task/*/comm | sort | uniq -c
for i in $(seq 20); do
  exec {fd}<>/dev/tcp/127.0.0.1/7201; echo hi >&$fd; head -c 3 <&$fd >/dev/null
done
echo "# threads with 20 clients:"
cat /proc/$PID/task/*/comm | sed 's/-[0-9]*$/-N/' | sort | uniq -c
sleep 1 # let the Workers settle into recv
for run in 1 2 3; do
  a=$(awk '{print $14 + $15}' /proc/$PID/stat); sleep 5
  b=$(awk '{print $14 + $15}' /proc/$PID/stat)
  echo "run $run: $((b - a)) ticks in 5 s, $(ls /proc/$PID/task | wc -l) threads"
done
kill $server; wait
