#!/bin/bash
# Round trips on one connection while others sit idle (chapter 08's
# idle_cost.ts, median of 500), against this chapter's select and poll
# servers and chapter 06's epoll server, each on a port of its own; three
# runs. Run with bash from chapters/05-select; results in
# lab/round_trip.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -e
ulimit -n 16384
echo "# $(date -u +%F), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
deno task server --port 7105 &
deno task server:poll --port 7115 &
(cd ../06-epoll && exec deno task server --port 7106) &
for port in 7105 7115 7106; do
  until (: </dev/tcp/127.0.0.1/$port) 2>/dev/null; do sleep 0.2; done
done
tool="deno run --allow-net ../08-signal-driven/lab/idle_cost.ts"
for run in 1 2 3; do
  for idle in 0 900 5000; do
    for port in 7105 7115 7106; do
      [ $port = 7105 ] && [ $idle = 5000 ] && continue # past FD_SETSIZE
      echo "run $run, port $port ($(case $port in 7105) echo select;; 7115) echo poll;; *) echo epoll;; esac)): $($tool --port $port --idle $idle)"
    done
  done
done
kill %1 %2 %3; wait
