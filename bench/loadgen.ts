/**
 * The load generator: a process of its own (so it never shares a JavaScript
 * thread with the server it measures) that drives one server and prints what
 * it saw as JSON lines on stdout, one event per line.
 *
 * Two phases, picked with `--phase`:
 * - `probe`: opens connections in growing steps, checks that every one of
 *   them echoes, and stops at the first step where some do not (or the
 *   server's memory passes the budget, or it dies): the most concurrent
 *   connections the server held, and how it failed beyond that.
 * - `load`: opens `--connections`, checks each with an echo, then runs a
 *   warm-up and `--rounds` timed rounds of closed-loop ping-pong with
 *   `--size`-byte messages, reading the server's CPU time, memory and threads
 *   from /proc around each round.
 *
 * Run: deno run --allow-all bench/loadgen.ts --port P ... (FFI for the
 * sockets; /proc, for the server's CPU time and memory, needs --allow-all)
 *
 * @module
 */
import { parseCli } from "../shared/cli.ts";
import { PingPong, type Watchdog } from "./pingpong.ts";
import { machineCpuSeconds, treeUsage } from "./proc.ts";
import type { ErrorCounts, LoadgenEvent } from "./results.ts";
import { raiseNoFileLimit } from "../shared/rlimit.ts";

const { address, flags } = parseCli(Deno.args, {
  usage: "deno run --allow-all bench/loadgen.ts",
  summary: "Closed-loop echo load generator (one message in flight per " +
    "connection), printing JSON lines.",
  flags: {
    phase: {
      type: "string",
      description: "probe or load",
      default: "load",
      choices: ["probe", "load"],
    },
    "server-pid": {
      type: "integer",
      description: "the server's pid, for /proc",
      default: 0,
      min: 0,
      max: 1 << 22,
    },
    connections: {
      type: "integer",
      description: "connections (load) or the most to try (probe)",
      default: 100,
      min: 1,
      max: 60_000,
    },
    size: {
      type: "integer",
      description: "message size in bytes (load)",
      default: 64,
      min: 1,
      max: 65536,
    },
    rounds: {
      type: "integer",
      description: "timed rounds",
      default: 3,
      min: 1,
      max: 100,
    },
    "round-ms": {
      type: "integer",
      description: "length of a round",
      default: 1000,
      min: 10,
      max: 60_000,
    },
    "warmup-ms": {
      type: "integer",
      description: "untimed ping-pong before the rounds",
      default: 500,
      min: 0,
      max: 60_000,
    },
    "timeout-ms": {
      type: "integer",
      description: "how long a connect, or a silence of all echoes, may last",
      default: 5000,
      min: 10,
      max: 600_000,
    },
    "memory-mb": {
      type: "integer",
      description: "stop when the server's RSS passes this",
      default: 4096,
      min: 1,
      max: 1 << 20,
    },
  },
});

raiseNoFileLimit();
const serverPid = flags["server-pid"];
const load = new PingPong(address, flags["timeout-ms"]);

// #region watchdog
/** Stops a phase when the server has died or outgrown the memory budget. */
const watchdog: Watchdog = () => {
  if (!serverPid) return null;
  const usage = treeUsage(serverPid);
  if (!usage) return "server exited";
  if (usage.rssBytes > flags["memory-mb"] * 2 ** 20) {
    return `memory budget (${flags["memory-mb"]} MB RSS) exceeded`;
  }
  return null;
};
// #endregion

if (flags.phase === "probe") probe();
else measure();
load.dispose();

/** Grows the number of open connections step by step until one fails. */
function probe() {
  const steps = [1, 10, 100, 1000, 2500, 5000, 7500, 10_000, 15_000]
    .filter((n) => n < flags.connections).concat(flags.connections);
  let held = 0, failedAt: number | null = null, failure: string | null = null;
  for (const connections of steps) {
    const started = performance.now();
    load.open(connections - load.live, watchdog);
    const echoed = load.ping(64, watchdog);
    const usage = serverPid ? treeUsage(serverPid) : null;
    emit({
      event: "step",
      connections,
      echoed,
      seconds: (performance.now() - started) / 1000,
      rssBytes: usage?.rssBytes ?? null,
      virtualBytes: usage?.virtualBytes ?? null,
      threads: usage?.threads ?? null,
      processes: usage?.processes ?? null,
      errors: { ...load.errors },
    });
    if (echoed < connections) {
      held = Math.max(held, echoed);
      failedAt = connections;
      failure = load.firstError ?? "fewer echoes than connections";
      break;
    }
    held = connections;
    failure = watchdog();
    if (failure) break;
  }
  const idle = idleCores();
  emit({
    event: "probe",
    held,
    failedAt,
    failure,
    errors: load.errors,
    idleConnections: idle === null ? null : load.live,
    idleCores: idle,
  });
}

/** The server's CPU use (cores) while every open connection stays quiet for
 * a round's length: about 0 for a model that sleeps until the kernel has
 * news, a whole core for one that polls. */
function idleCores(): number | null {
  // After a watchdog stop the server may still be busy with what was
  // abandoned (threads or processes starting): not idle.
  if (!serverPid || load.live === 0 || load.stopReason) return null;
  const before = treeUsage(serverPid);
  const started = performance.now();
  load.pause(flags["round-ms"]);
  const after = treeUsage(serverPid);
  if (!before || !after) return null;
  const seconds = (performance.now() - started) / 1000;
  return (after.cpuSeconds - before.cpuSeconds) / seconds;
}

/** Connects, then a warm-up and timed rounds of ping-pong. */
function measure() {
  const { connections, size } = flags;
  load.open(connections, watchdog);
  const echoed = load.ping(64, watchdog);
  emit({ event: "connected", connections, echoed, errors: { ...load.errors } });
  if (echoed === connections) {
    load.run(size, flags["warmup-ms"]);
    for (let round = 1; round <= flags.rounds; round++) {
      const errorsBefore = { ...load.errors };
      const before = serverPid ? treeUsage(serverPid) : null;
      const self = treeUsage(Deno.pid)!.cpuSeconds;
      const machine = machineCpuSeconds();
      const result = load.run(size, flags["round-ms"], true);
      const machineSeconds = machineCpuSeconds() - machine;
      const after = serverPid ? treeUsage(serverPid) : null;
      const latency = load.latencies.percentiles();
      load.latencies.clear();
      emit({
        event: "round",
        size,
        round,
        connections: load.live,
        ...result,
        p50Us: latency.p50,
        p99Us: latency.p99,
        p999Us: latency.p999,
        serverCpuSeconds: before && after
          ? after.cpuSeconds - before.cpuSeconds
          : null,
        loadgenCpuSeconds: treeUsage(Deno.pid)!.cpuSeconds - self,
        machineCpuSeconds: machineSeconds,
        rssBytes: after?.rssBytes ?? null,
        threads: after?.threads ?? null,
        processes: after?.processes ?? null,
        errors: difference(load.errors, errorsBefore),
      });
    }
  }
  emit({ event: "done", errors: load.errors });
}

function emit(event: LoadgenEvent) {
  const line = JSON.stringify(event) + "\n";
  const bytes = new TextEncoder().encode(line);
  for (let off = 0; off < bytes.length;) {
    off += Deno.stdout.writeSync(bytes.subarray(off));
  }
}

function difference(now: ErrorCounts, before: ErrorCounts): ErrorCounts {
  const out: ErrorCounts = {};
  for (const [kind, count] of Object.entries(now)) {
    const delta = count - (before[kind] ?? 0);
    if (delta > 0) out[kind] = delta;
  }
  return out;
}
