#!/bin/bash
# The descriptor limits the shell hands down, and the server's own limits
# after `raiseFdLimit` (from /proc/PID/limits), on port 7206.
# Run with bash from chapters/06-epoll; results in lab/fd_limit.txt.
if [ "${1:-}" = --help ]; then sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0; fi
set -eo pipefail
echo "# $(date -u +%F), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(uname -sr), $(nproc) cores, deno $(deno -v | cut -d' ' -f2), load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# command: bash lab/fd_limit.sh"
echo "shell: soft $(ulimit -Sn), hard $(ulimit -Hn); /proc/sys/fs/nr_open: $(cat /proc/sys/fs/nr_open)"
deno task server --port 7206 2>/dev/null &
until (: </dev/tcp/127.0.0.1/7206) 2>/dev/null; do sleep 0.2; done
server=$(pgrep -P $!)
echo "server (/proc/$server/limits):"
grep -e Limit -e 'open files' /proc/$server/limits
kill %1; wait
