#!/bin/bash
# How often chapter 04's idle loop asks accept4, and what a round trip costs
# with 0 and 900 idle clients: three runs each, on a server of its own on port
# 7104. Run with bash from chapters/04-nonblocking as root (perf reads the
# kernel's syscall tracepoints); results in lab/pass_cost.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -e
echo "# $(date -u +%F), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
for run in 1 2 3; do
  deno task server --port 7104 &
  until (: </dev/tcp/127.0.0.1/7104) 2>/dev/null; do sleep 0.2; done
  pid=$(pgrep -P $!)
  echo "## run $run"
  perf stat -e syscalls:sys_enter_accept4 -p "$pid" -- sleep 1 2>&1 |
    grep sys_enter_accept4
  deno run --allow-net ../08-signal-driven/lab/idle_cost.ts --port 7104 --idle 0
  deno run --allow-net ../08-signal-driven/lab/idle_cost.ts --port 7104 --idle 900
  kill "$pid"; wait
done
