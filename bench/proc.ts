/**
 * What a server costs, read from /proc the way `top` and `ps` do: CPU time,
 * resident memory, threads and processes, summed over the server and every
 * process it started (a process-per-connection server is all of them).
 *
 * @example
 * ```ts
 * import { treeUsage } from "./proc.ts";
 * const usage = treeUsage(Deno.pid)!;
 * console.log(usage.threads, usage.rssBytes);
 * ```
 *
 * @module
 */
import { descendants } from "@echo-lab/harness/process";

/** Resources used by a process and its descendants at one instant. */
export interface TreeUsage {
  /** User + system CPU seconds, including reaped children (cutime/cstime),
   * so the sum does not drop when a child process exits. */
  cpuSeconds: number;
  /** Sum of every process's VmRSS. Pages shared between processes (the
   * Deno binary, for one) count once per process, as `ps` shows them. */
  rssBytes: number;
  /** Sum of every process's VmSize: address space reserved (thread stacks,
   * heaps), mostly never touched and so not resident. */
  virtualBytes: number;
  threads: number;
  processes: number;
}

/** The usage of `pid` and its descendants, or null when `pid` is gone. */
export function treeUsage(pid: number): TreeUsage | null {
  const root = processUsage(pid);
  if (!root) return null;
  const total = { ...root, processes: 1 };
  for (const child of descendants(pid)) {
    const usage = processUsage(child);
    if (!usage) continue; // exited while we looked
    total.cpuSeconds += usage.cpuSeconds;
    total.rssBytes += usage.rssBytes;
    total.virtualBytes += usage.virtualBytes;
    total.threads += usage.threads;
    total.processes++;
  }
  return total;
}

/** CPU seconds the whole machine has been busy (every core, every process,
 * the kernel's interrupt work included), from the first line of /proc/stat.
 * Beside a server's and the load generator's own time, it shows what else
 * ran during a round. */
export function machineCpuSeconds(): number {
  const line = Deno.readTextFileSync("/proc/stat").split("\n", 1)[0];
  // cpu  user nice system idle iowait irq softirq steal ...
  const [user, nice, system, , , irq, softirq, steal] = line.trim()
    .split(/\s+/).slice(1).map(Number);
  return (user + nice + system + irq + softirq + steal) / 100;
}

function processUsage(pid: number) {
  let stat: string, status: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  // The fields after the command name, which ends with the last ")": utime,
  // stime, cutime and cstime are fields 14-17, in ticks of 1/100 s (USER_HZ).
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
  const kib = (key: string) =>
    Number(status.match(new RegExp(`^${key}:\\s+(\\d+)`, "m"))?.[1] ?? 0);
  return {
    cpuSeconds: ticks / 100,
    rssBytes: kib("VmRSS") * 1024, // a zombie has no VmRSS: 0
    virtualBytes: kib("VmSize") * 1024,
    threads: kib("Threads"),
  };
}
