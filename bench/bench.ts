/**
 * `deno task bench`: every chapter's servers, and two references, measured
 * side by side under the same load, on this machine.
 *
 * For each server: a capacity probe (how many connections it holds, and how
 * it fails beyond that), then for each connection count and message size a
 * fresh server process and a fresh load generator process running rounds of
 * closed-loop ping-pong. Results go to `latest.json`, its tables to
 * `summary.md`, and SVG charts.
 *
 * Run: deno task bench [--quick] [--chapters 06,07] [--help]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import {
  descendants,
  processState,
  type RunningServer,
} from "../tests/process.ts";
import {
  type BenchServer,
  findServers,
  type Reference,
  REFERENCES,
} from "./servers.ts";
import { describeMachine, machineLine } from "./machine.ts";
import { machineCpuSeconds, treeUsage } from "./proc.ts";
import { spread } from "./stats.ts";
import { Progress } from "./progress.ts";
import { renderCharts } from "./charts.ts";
import { renderSummary } from "./report.ts";
import {
  type BenchResults,
  type Capacity,
  type CapacityStep,
  type ErrorCounts,
  formatResults,
  type LoadgenEvent,
  type Round,
  type Row,
  type RowSummary,
  type ServerResult,
  type Settings,
} from "./results.ts";

const BENCH_DIR = import.meta.dirname!;
const LOADGEN = join(BENCH_DIR, "loadgen.ts");
const CHART =
  /^(throughput-\d+|chapter-[\w-]+|latency|cpu|idle-cpu|memory)\.svg$/;

const USAGE = `usage: deno task bench [options]

Measures every chapter's servers (and Node.js and C references) under the same
closed-loop echo load; writes latest.json, summary.md and SVG charts.

options:
  --quick               smoke run: 1 round of 300 ms at 1 and 10 connections,
                        64 B, probe up to 100; results in a new temp dir
  --chapters LIST       chapter folders to run, by prefix: 06,07-async (all)
  --references LIST     node,c or none (node,c)
  --sizes LIST          message sizes in bytes (64,4096)
  --connections LIST    connection counts (1,10,100,1000,10000)
  --rounds N            timed rounds per cell (3)
  --round-ms N          length of a round (1000)
  --warmup-ms N         untimed ping-pong before the rounds (500)
  --max-connections N   the capacity probe's last step (10000)
  --memory-mb N         stop a server's probe past this RSS (6144)
  --timeout-ms N        how long a connect or an echo may take (5000)
  --out DIR             where results go (bench/results)
  -h, --help            show this help`;

const { settings, out: outFlag } = parseOptions(Deno.args);
// The compiled C reference lives here for the run; a quick run's results go
// to a directory of their own that outlives it.
const tempDir = await Deno.makeTempDir({ prefix: "echo-lab-bench-" });
const out = outFlag ??
  (settings.quick
    ? await Deno.makeTempDir({ prefix: "echo-lab-bench-quick-" })
    : join(BENCH_DIR, "results"));
const cleanups = new Set<() => Promise<unknown>>();
Deno.addSignalListener("SIGINT", async () => {
  // Ctrl-C: take the servers and load generators down with us.
  await Promise.allSettled([...cleanups].map((cleanup) => cleanup()));
  Deno.exit(130);
});

const machine = await describeMachine();
const notes: string[] = [];
// What else keeps the machine busy before we start: on a quiet machine ~0.
const backgroundCores = await busyCores(2000);
if (backgroundCores > 0.2) {
  notes.push(
    `Before the run, other work kept ${
      backgroundCores.toFixed(2)
    } cores busy: expect noisy figures (see otherCores).`,
  );
}
const servers = await findServers(
  settings.chapters,
  settings.references,
  tempDir,
  notes,
);
// Progress counts one unit per server start and per timed round.
const cellUnits = settings.rounds + 1;
const serverUnits = 2 +
  settings.connections.length * settings.sizes.length * cellUnits;
const progress = new Progress(servers.length * serverUnits);
console.error(
  `bench: ${servers.length} servers on ${
    machineLine(machine, new Date().toISOString())
  }`,
);
for (const note of notes) console.error(`note: ${note}`);

const results: ServerResult[] = [];
for (const [i, server] of servers.entries()) {
  const result = await measureServer(server, `${i + 1}/${servers.length}`);
  results.push(result);
  progress.log(summaryLine(result));
}
progress.end();

const report: BenchResults = {
  schema: 1,
  date: new Date().toISOString(),
  args: Deno.args,
  machine,
  backgroundCores,
  settings,
  notes,
  servers: results,
};
await Deno.mkdir(out, { recursive: true });
await Deno.writeTextFile(
  join(out, "latest.json"),
  formatResults(report),
);
await Deno.writeTextFile(join(out, "summary.md"), renderSummary(report));
const charts = await renderCharts(report, out);
// Charts of an earlier run that this one did not draw (a chapter renamed, a
// size dropped) would sit beside the new ones as if current.
for (const entry of Deno.readDirSync(out)) {
  if (CHART.test(entry.name) && !charts.includes(entry.name)) {
    await Deno.remove(join(out, entry.name));
  }
}
await Deno.remove(tempDir, { recursive: true }).catch(() => {});
console.log(
  `wrote ${join(out, "latest.json")}, summary.md and ${charts.length} charts`,
);
Deno.exit(0);

// #region measure-server
/** The capacity probe, then one fresh server and load generator per cell. */
async function measureServer(
  server: BenchServer,
  position: string,
): Promise<ServerResult> {
  const result: ServerResult = {
    id: server.id,
    label: server.label,
    chapter: server.chapter,
    task: server.task,
    command: server.command,
    error: null,
    idle: null,
    capacity: null,
    rows: [],
  };
  const tag = `${position} ${server.label}`;
  const finished = progress.done + serverUnits;
  try {
    result.capacity = await probe(server, result, tag);
  } catch (error) {
    result.error = messageOf(error);
    progress.advance(finished - progress.done, `${tag}: failed`);
    return result;
  }
  const { held, failure } = result.capacity;
  for (const connections of settings.connections) {
    for (const size of settings.sizes) {
      if (connections > held) {
        result.rows.push(notRun(
          connections,
          size,
          `the capacity probe held ${held} connection${held === 1 ? "" : "s"}` +
            (failure
              ? ` (beyond: ${failure})`
              : ", all that --max-connections asked for"),
        ));
        progress.advance(cellUnits, `${tag}: skipping ${connections}`);
        continue;
      }
      result.rows.push(await measureCell(server, connections, size, tag));
    }
  }
  return result;
}
// #endregion

// #region probe
/** Starts the server, reads its idle footprint, then has the load generator
 * open connections in steps until one fails. */
async function probe(
  server: BenchServer,
  result: ServerResult,
  tag: string,
): Promise<Capacity> {
  progress.show(`${tag}: starting`);
  await using running = await start(server);
  // Let it finish starting up before we weigh it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = treeUsage(running.pid);
  if (idle) {
    const { rssBytes, virtualBytes, threads, processes } = idle;
    result.idle = { rssBytes, virtualBytes, threads, processes };
  }
  progress.advance(1, `${tag}: capacity probe`);
  const steps: CapacityStep[] = [];
  let verdict: Extract<LoadgenEvent, { event: "probe" }> | undefined;
  let said: string | null = null;
  await loadgen(running, [
    "--phase=probe",
    `--connections=${settings.maxConnections}`,
  ], (event) => {
    if (event.event === "step") {
      const { errors: _, event: __, ...step } = event;
      steps.push(step);
      progress.show(
        `${tag}: probe, ${event.echoed} of ${event.connections} connections echoed`,
      );
    } else if (event.event === "probe") {
      verdict = event;
      // What the server printed as it failed, before the load generator
      // closes the connections (which some servers also talk about).
      said = lastLine(running.stderr());
    }
  });
  progress.advance(1, `${tag}: probe done`);
  if (!verdict) throw new Error("the load generator gave no probe result");
  const full = steps.findLast((s) => s.echoed === s.connections);
  return {
    held: verdict.held,
    failedAt: verdict.failedAt,
    failure: verdict.failure,
    serverSaid: verdict.failure ? said : null,
    errors: verdict.errors,
    steps,
    idleCores: verdict.idleCores,
    idleConnections: verdict.idleConnections,
    rssPerConnectionBytes: full?.rssBytes && result.idle
      ? Math.round((full.rssBytes - result.idle.rssBytes) / full.connections)
      : null,
  };
}
// #endregion

// #region cell
/** One (connections, size) cell on a fresh server. */
async function measureCell(
  server: BenchServer,
  connections: number,
  size: number,
  tag: string,
): Promise<Row> {
  const what = `${tag}: ${connections} conn × ${size} B`;
  progress.show(`${what}, connecting`);
  const row: Row = {
    connections,
    size,
    status: "ok",
    reason: null,
    rounds: [],
    summary: null,
    errors: {},
  };
  let units = 0;
  const step = (n: number, status: string) => {
    units += n;
    progress.advance(n, status);
  };
  try {
    await using running = await start(server);
    step(1, `${what}, connecting`);
    await loadgen(running, [
      "--phase=load",
      `--connections=${connections}`,
      `--size=${size}`,
    ], (event) => {
      if (event.event === "round") {
        const { event: _, size: __, round, connections: ___, ...data } = event;
        row.rounds.push(data);
        const rate = Math.round(data.roundTrips / data.seconds);
        step(
          1,
          `${what}, round ${round}/${settings.rounds}: ${
            rate.toLocaleString("en")
          } rt/s`,
        );
      } else if (event.event === "connected" && event.echoed < connections) {
        row.reason = `only ${event.echoed} of ${connections} connections ` +
          `echoed: ${describeErrors(event.errors)}`;
      } else if (event.event === "done") row.errors = event.errors;
    });
    const failures = Object.values(row.errors).reduce((a, b) => a + b, 0);
    if (failures > 0) {
      row.status = "failed";
      row.reason ??= describeErrors(row.errors);
    }
  } catch (error) {
    row.status = "failed";
    row.reason = messageOf(error);
  }
  progress.advance(cellUnits - units, what);
  row.summary = summarize(row.rounds);
  return row;
}
// #endregion

/** Starts a server; disposing of it stops it with SIGTERM (SIGKILL after
 * 5 s) and then kills any process it started and left behind, so no stray
 * worker skews the next measurement. Ctrl-C does the same. */
async function start(server: BenchServer): Promise<RunningServer> {
  const running = await server.start();
  const stop = async () => {
    const family = descendants(running.pid);
    await running[Symbol.asyncDispose]();
    const left = family.filter((pid) => (processState(pid) ?? "Z") !== "Z");
    for (const pid of left) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch { /* gone meanwhile */ }
    }
    if (left.length) {
      notes.push(
        `${server.label} left ${left.length} process(es) running after ` +
          `SIGTERM; the bench killed them.`,
      );
    }
  };
  cleanups.add(stop);
  return {
    ...running,
    [Symbol.asyncDispose]: () => {
      cleanups.delete(stop);
      return stop();
    },
  };
}

// #region loadgen
/** Runs the load generator against `running` and hands each JSON line it
 * prints to `onEvent`. Throws when it fails, with its last stderr line. */
async function loadgen(
  running: RunningServer,
  args: string[],
  onEvent: (event: LoadgenEvent) => void,
): Promise<void> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      // FFI for the sockets; and Deno 2.9 opens /proc (the server's CPU time
      // and memory) to --allow-all only.
      "--allow-all",
      LOADGEN,
      `--port=${running.port}`,
      `--server-pid=${running.pid}`,
      `--rounds=${settings.rounds}`,
      `--round-ms=${settings.roundMs}`,
      `--warmup-ms=${settings.warmupMs}`,
      `--timeout-ms=${settings.timeoutMs}`,
      `--memory-mb=${settings.memoryBudgetMb}`,
      ...args,
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    return child.status;
  };
  cleanups.add(kill);
  // Its own timeouts bound every phase; this only catches a hung process.
  const limit = 120_000 + settings.rounds * settings.roundMs * 2;
  const timer = setTimeout(kill, limit);
  const stderr = new Response(child.stderr).text();
  try {
    let buffered = "";
    for await (
      const text of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffered += text;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) if (line) onEvent(JSON.parse(line));
    }
    const { code, signal } = await child.status;
    if (code !== 0) {
      const why = lastLine(await stderr) ?? signal ?? `exit code ${code}`;
      throw new Error(`load generator failed: ${why}`);
    }
  } finally {
    clearTimeout(timer);
    cleanups.delete(kill);
    await stderr;
  }
}
// #endregion

// #region summarize
/** Medians and spread over the rounds of a cell. */
function summarize(rounds: Round[]): RowSummary | null {
  if (rounds.length === 0) return null;
  const over = (f: (r: Round) => number) => spread(rounds.map(f));
  const cpu = rounds.every((r) => r.serverCpuSeconds !== null);
  const max = (f: (r: Round) => number | null) =>
    rounds.some((r) => f(r) !== null)
      ? Math.max(...rounds.map((r) => f(r) ?? 0))
      : null;
  return {
    roundTripsPerSecond: over((r) => r.roundTrips / r.seconds),
    megabytesPerSecond: over((r) => r.bytes / r.seconds / 1e6),
    p50Us: over((r) => r.p50Us),
    p99Us: over((r) => r.p99Us),
    p999Us: over((r) => r.p999Us),
    cpuSecondsPerMillion: cpu
      ? over((r) => r.serverCpuSeconds! / r.roundTrips * 1e6)
      : null,
    serverCores: cpu ? over((r) => r.serverCpuSeconds! / r.seconds) : null,
    loadgenCores: over((r) => r.loadgenCpuSeconds / r.seconds),
    otherCores: cpu
      ? over((r) =>
        (r.machineCpuSeconds - r.serverCpuSeconds! - r.loadgenCpuSeconds) /
        r.seconds
      )
      : null,
    rssBytes: max((r) => r.rssBytes),
    threads: max((r) => r.threads),
    processes: max((r) => r.processes),
  };
}
// #endregion

/** How many cores the whole machine keeps busy over `ms`. */
async function busyCores(ms: number): Promise<number> {
  const before = machineCpuSeconds();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (machineCpuSeconds() - before) / (ms / 1000);
}

function notRun(connections: number, size: number, reason: string): Row {
  return {
    connections,
    size,
    status: "not run",
    reason,
    rounds: [],
    summary: null,
    errors: {},
  };
}

function summaryLine(result: ServerResult): string {
  if (result.error) return `✗ ${result.label}: ${result.error}`;
  const held = result.capacity!.held.toLocaleString("en");
  const best = result.rows
    .filter((r) => r.summary)
    .sort((a, b) =>
      b.summary!.roundTripsPerSecond.median -
      a.summary!.roundTripsPerSecond.median
    )[0];
  const failed = result.rows.filter((r) => r.status === "failed").length;
  const peak = best
    ? `, best ${
      Math.round(best.summary!.roundTripsPerSecond.median).toLocaleString("en")
    } rt/s ` +
      `(${best.connections} conn × ${best.size} B)`
    : "";
  return `${failed ? "!" : "✓"} ${result.label}: held ${held}${peak}` +
    (failed ? `, ${failed} cells with failures` : "");
}

function describeErrors(errors: ErrorCounts): string {
  const parts = Object.entries(errors).map(([kind, n]) => `${n}× ${kind}`);
  return parts.length ? parts.join(", ") : "no error reported";
}

function lastLine(text: string): string | null {
  return text.trim().split("\n").at(-1)?.trim() || null;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// #region parse-options
/** The command line, with --quick's smaller defaults under explicit flags. */
function parseOptions(
  args: string[],
): { settings: Settings & { references: Reference[] }; out?: string } {
  const list = { type: "string" } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        quick: { type: "boolean" },
        chapters: list,
        references: list,
        sizes: list,
        connections: list,
        rounds: list,
        "round-ms": list,
        "warmup-ms": list,
        "max-connections": list,
        "memory-mb": list,
        "timeout-ms": list,
        out: list,
      },
    }));
  } catch (error) {
    usageError(messageOf(error));
  }
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const quick = values.quick ?? false;
  const numbers = (name: keyof typeof values, fallback: string) => {
    const raw = (values[name] as string | undefined) ?? fallback;
    const parsed = raw.split(",").map((s) => /^\d+$/.test(s) ? Number(s) : NaN);
    if (!parsed.every((n) => n >= 1)) {
      usageError(`invalid --${name} "${raw}": expected whole numbers ≥ 1`);
    }
    return parsed;
  };
  const one = (name: keyof typeof values, fallback: number) =>
    numbers(name, String(fallback))[0];
  const references = values.references === "none"
    ? []
    : (values.references ?? REFERENCES.join(",")).split(",");
  for (const reference of references) {
    if (!(REFERENCES as readonly string[]).includes(reference)) {
      usageError(`unknown reference "${reference}": expected ${REFERENCES}`);
    }
  }
  const settings = {
    quick,
    chapters: values.chapters?.split(",") ?? [],
    references: references as Reference[],
    sizes: numbers("sizes", quick ? "64" : "64,4096"),
    connections: numbers(
      "connections",
      quick ? "1,10" : "1,10,100,1000,10000",
    ).sort((a, b) => a - b),
    rounds: one("rounds", quick ? 1 : 3),
    roundMs: one("round-ms", quick ? 300 : 1000),
    warmupMs: one("warmup-ms", quick ? 100 : 500),
    maxConnections: one("max-connections", quick ? 100 : 10_000),
    memoryBudgetMb: one("memory-mb", 6144),
    timeoutMs: one("timeout-ms", quick ? 2000 : 5000),
  };
  return { settings, out: values.out };
}

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  Deno.exit(2);
}
// #endregion
