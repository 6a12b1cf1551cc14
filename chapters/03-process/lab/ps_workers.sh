#!/bin/bash
# The prefork master and its four workers as `ps` sees them (threads, resident
# KiB), once when all four are up and again 10 s later, when the runtime's idle
# helper threads have had time to exit. Port 7202.
# Run with bash from chapters/03-process; results in lab/ps_workers.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/ps_workers.sh"
deno task server --port 7202 2>/dev/null &
until (: </dev/tcp/127.0.0.1/7202) 2>/dev/null; do sleep 0.2; done
master=$(pgrep -P $!)
until [ "$(pgrep -P $master | wc -l)" = 4 ]; do sleep 0.2; done
echo "# all four workers up:"
ps -o pid,ppid,nlwp,rss,args -p $master --ppid $master
sleep 10
echo "# 10 s later:"
ps -o pid,ppid,nlwp,rss,args -p $master --ppid $master
kill %1; wait
