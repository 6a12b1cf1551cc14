#!/bin/bash
# 64 MiB through chapter 01's stop-and-wait client and chapter 02's two-thread
# client, each against its own chapter's server on port 7101: three runs each.
# Run with bash from chapters/01-blocking; results in
# lab/stop_and_wait.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
head -c 67108864 /dev/urandom > /tmp/64MiB
for chapter in 01-blocking 02-threaded; do
  cd ../$chapter
  deno task server --port 7101 &
  until (: </dev/tcp/127.0.0.1/7101) 2>/dev/null; do sleep 0.2; done
  for run in 1 2 3; do
    echo "$chapter, run $run:"
    time deno task client --port 7101 < /tmp/64MiB > /dev/null
  done
  kill %1; wait
done
