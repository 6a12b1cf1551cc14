/**
 * The shape of `bench/results/latest.json` (documented in bench/README.md):
 * the one type every reader of it uses (the summary tables, the charts, the
 * site), how it is written, and how it is read back.
 *
 * @module
 */
import type { Machine } from "@echo-lab/harness/machine";
export type { Machine };
import type { Spread } from "./stats.ts";

/** The folder, beside the charts, of their narrow forms (drawn for a
 * phone by charts.ts, shown by the site on narrow screens). */
export const NARROW_DIR = "narrow";

/** Failures by kind, e.g. `{ "closed by server": 3 }`. */
export type ErrorCounts = Record<string, number>;

/** The whole result file: one run, every row measured in it. */
export interface BenchResults {
  /** Bumped when a field changes meaning or appears (schema 1 and 2 files
   * are read as schema 3: see parseResults). */
  schema: 3;
  /** ISO 8601 time the run finished. */
  date: string;
  /** `deno task bench` arguments, e.g. `["--quick"]`. */
  args: string[];
  machine: Machine;
  /** Cores the machine kept busy during 2 s before the run (other work). */
  backgroundCores: number;
  /** The id of the server every ratio is taken to (`reference c`), measured
   * in the same rounds as every other; null when it could not run. */
  reference: string | null;
  /** The quiet check: null for a file older than it (schema 1 and 2, whose
   * rows were measured one server after another, not interleaved). */
  quiet: QuietCheck | null;
  settings: Settings;
  /** The load generator that drove every server. */
  loadgen: LoadgenInfo;
  /** Things the reader should know: skipped references, caveats. */
  notes: string[];
  servers: ServerResult[];
  /** What each server asks of the kernel per round trip (bench/count.ts):
   * absent from runs before it existed. */
  counts?: CountRun;
}

/** The counting pass: system calls and wake-ups per round trip, figures
 * that do not depend on the machine's speed or load. */
export interface CountRun {
  /** How the system calls were counted, e.g. `strace -c -f`. */
  tool: string;
  /** Cores the machine kept busy during 2 s before the pass (other work). */
  backgroundCores: number;
  servers: ServerCounts[];
}

export interface ServerCounts {
  /** The {@linkcode ServerResult.id} of the server counted. */
  id: string;
  label: string;
  /** ISO 8601 time it was counted (a merged file mixes passes). */
  date: string;
  rows: CountRow[];
}

/** One server at `connections` closed-loop connections of `size` bytes. */
export interface CountRow {
  connections: number;
  size: number;
  status: "ok" | "failed" | "not run";
  reason: string | null;
  /** System calls of every thread and process of the server, per round
   * trip, while strace was attached. */
  syscallsPerRoundTrip: number | null;
  /** The same counted without stopping any thread (perf stat, the
   * raw_syscalls:sys_enter tracepoint), in the untraced run: what a
   * busy-polling server really makes, which strace would slow down. Null
   * where perf is not available. */
  untracedSyscallsPerRoundTrip: number | null;
  /** The three most frequent, with the errors they returned (EAGAIN...). */
  top: { name: string; perRoundTrip: number; errorsPerRoundTrip: number }[];
  /** Voluntary context switches (a thread slept, then woke) of every thread
   * per round trip, counted without strace. */
  wakeupsPerRoundTrip: number | null;
  /** Threads (all processes) during the untraced load. */
  threads: number | null;
  /** Round trips per second under strace and without it: how far tracing
   * slowed the server (the counts per round trip do not depend on it). */
  tracedRate: number | null;
  untracedRate: number | null;
}

/** How the run checked that nothing else ran beside a measurement. */
export interface QuietCheck {
  /** A measurement with more `otherCores` than this was repeated. */
  limitCores: number;
  /** At most this many attempts per measurement. */
  maxAttempts: number;
  /** Measurements still above the limit after every attempt, which the run
   * kept because it was given `--accept-noise` (else it wrote nothing). */
  noisy: NoisyMeasurement[];
}

/** A measurement that stayed noisy: which server, cell and round. */
export interface NoisyMeasurement {
  server: string;
  /** e.g. `100 conn × 64 B, round 3`, `capacity probe`, `open loop`. */
  what: string;
  otherCores: number;
  attempts: number;
}

export interface LoadgenInfo {
  /** `c` (bench/loadgen/loadgen.c) or `deno` (the earlier one, schema 1). */
  name: string;
  /** Its threads, each driving its share of the connections. */
  threads: number;
}

export interface Settings {
  quick: boolean;
  /** Chapter folder prefixes asked for (empty: all). */
  chapters: string[];
  /** Reference servers asked for. */
  references: string[];
  sizes: number[];
  connections: number[];
  /** Closed loop: every server measured once per round, on a fresh process,
   * in an order rotated each round. */
  rounds: number;
  /** Open loop: timed rounds per offered rate. */
  openLoopRounds: number;
  roundMs: number;
  warmupMs: number;
  /** The capacity probe's last step. */
  maxConnections: number;
  memoryBudgetMb: number;
  timeoutMs: number;
  /** Open-loop runs: offered round trips per second, in total. */
  rates: number[];
  /** Open-loop runs: the connections the rate is spread over. */
  rateConnections: number;
}

/** Whether a cell is on the run's grid (one of its sizes × one of its
 * connection counts); the cells chapters ask for lie beyond it. */
export function inGrid(
  settings: Settings,
  cell: { size: number; connections: number },
): boolean {
  return settings.sizes.includes(cell.size) &&
    settings.connections.includes(cell.connections);
}

export interface ServerResult {
  /** Unique and stable, e.g. `06-epoll server:edge` or `reference node`. */
  id: string;
  /** Short label for charts, e.g. `06 edge`. */
  label: string;
  /** The chapter folder, or null for a reference server. */
  chapter: string | null;
  /** The deno.json task (`server`, `server:edge`) or the reference name. */
  task: string;
  /** The command line that ran it. */
  command: string[];
  /** ISO 8601 time its first measurement began. */
  date: string;
  /** Set when the server could not be measured at all. */
  error: string | null;
  /** Right after start, before any client. */
  idle: Usage | null;
  capacity: Capacity | null;
  /** Closed-loop cells. */
  rows: Row[];
  /** Open-loop cells, one per offered rate. */
  openLoop: RateRow[];
}

export interface Usage {
  rssBytes: number;
  /** Address space reserved (VmSize), resident or not. */
  virtualBytes: number;
  threads: number;
  processes: number;
}

/** The capacity probe: connections opened in steps, each step's connections
 * all checked with an echo. */
export interface Capacity {
  /** The most connections open at once with every one of them echoing. */
  held: number;
  /** The step at which some connection failed, or null. */
  failedAt: number | null;
  /** How it failed (the first error), or why the probe stopped; null when it
   * held every connection asked for. */
  failure: string | null;
  /** The server's last stderr line when it failed, e.g. `accept: EMFILE`. */
  serverSaid: string | null;
  errors: ErrorCounts;
  steps: CapacityStep[];
  /** (RSS at `held` - idle RSS) / `held`. */
  rssPerConnectionBytes: number | null;
  /** The server's CPU use (CPU seconds per second) while `idleConnections`
   * stayed open and silent for a round's length after the probe. */
  idleCores: number | null;
  idleConnections: number | null;
  /** What else kept the machine busy while `idleCores` was read (cores). */
  idleOtherCores: number | null;
  /** How many times the probe ran to find a quiet machine. */
  attempts: number;
}

/** One step of the probe: `connections` open, `echoed` answered. */
export interface CapacityStep {
  connections: number;
  echoed: number;
  seconds: number;
  rssBytes: number | null;
  virtualBytes: number | null;
  threads: number | null;
  processes: number | null;
}

/** One (connections, message size) cell. */
export interface Row {
  connections: number;
  size: number;
  /** `ok`; `failed` (connections or echoes failed: see errors); `not run`
   * (see reason). */
  status: "ok" | "failed" | "not run";
  reason: string | null;
  rounds: Round[];
  /** Medians and spread over the rounds (null when not run). */
  summary: RowSummary | null;
  /** Every failure over the whole cell, connects included. */
  errors: ErrorCounts;
}

/** One open-loop cell: `rate` round trips per second offered, spread evenly
 * over the connections, each sent at its scheduled time (or as soon as the
 * connection's previous echo is back, when that is later); latencies count
 * from the scheduled time, so a stalled server's queue shows in them. */
export interface RateRow extends Row {
  rate: number;
}

export interface Round {
  roundTrips: number;
  bytes: number;
  seconds: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  serverCpuSeconds: number | null;
  loadgenCpuSeconds: number;
  /** Every core of the machine, busy for any reason: wall time × cores −
   * idle time, from /proc/stat. */
  machineCpuSeconds: number;
  /** CPU seconds of every other task on the machine (neither the server's
   * processes nor the load generator, nor ksoftirqd), steal included,
   * counted task by task from /proc (schema 3 runs from 2026-12-06 on;
   * absent before). */
  otherTasksCpuSeconds?: number | null;
  /** The other work beside the measurement, per wall second: the other
   * tasks' CPU (otherTasksCpuSeconds) where counted, else (machineCpuSeconds
   * − serverCpuSeconds − loadgenCpuSeconds), which also holds interrupt time
   * on idle cores that no task is charged for (see bench/README.md). */
  otherCores: number;
  /** How many times this measurement was made to find a quiet machine: the
   * round kept is the attempt with the least other work. */
  attempts: number;
  rssBytes: number | null;
  threads: number | null;
  processes: number | null;
  errors: ErrorCounts;
}

export interface RowSummary {
  roundTripsPerSecond: Spread;
  /** Payload echoed per second, one direction, in 10^6 bytes. */
  megabytesPerSecond: Spread;
  p50Us: Spread;
  p99Us: Spread;
  p999Us: Spread;
  /** Server CPU seconds (user + system, all its threads and processes) per
   * million round trips. */
  cpuSecondsPerMillion: Spread | null;
  /** Cores busy: server CPU seconds / wall seconds (1 = one core). */
  serverCores: Spread | null;
  loadgenCores: Spread;
  /** The load generator's cores per thread neared a whole core
   * (LOADGEN_LIMIT): the figures say how fast it could drive the server,
   * not how fast the server is. Charts never rank servers in this band. */
  loadgenLimited: boolean;
  /** Machine CPU not used by the server or the load generator, per wall
   * second: the kernel's deferred network work (ksoftirqd) and anything else
   * running. Near 0 on a quiet machine; large values mean noisy figures. */
  otherCores: Spread | null;
  rssBytes: number | null;
  threads: number | null;
  processes: number | null;
}

/** Load generator cores per thread at which a cell counts as limited by the
 * load generator. */
export const LOADGEN_LIMIT = 0.85;

/** JSON small enough to commit and still readable: figures to 4 significant
 * digits (the spread between rounds is far wider), and every object or array
 * that holds no other (non-empty) one on a line of its own. */
export function formatResults(results: BenchResults): string {
  const EMPTY = "\u0000"; // never raw in JSON text: strings escape it
  const json = JSON.stringify(
    results,
    (_, v) =>
      typeof v === "number" && !Number.isInteger(v)
        ? Number(v.toPrecision(4))
        : v,
    1,
  ).replaceAll("{}", EMPTY);
  return json.replace(
    /([{[])\n\s*([^{}[\]]*?)\n\s*([}\]])/g,
    (_, open: string, body: string, close: string) => {
      const pad = open === "{" ? " " : "";
      return `${open}${pad}${body.replace(/\n\s*/g, " ")}${pad}${close}`;
    },
  ).replaceAll(EMPTY, "{}") + "\n";
}

/** Whether a row had a round with more other work beside it than the
 * quiet check allows (never, for a file older than the check). */
export function noisyRow(results: BenchResults, row: Row): boolean {
  const limit = results.quiet?.limitCores ?? Infinity;
  return row.rounds.some((r) => r.otherCores > limit);
}

/** Whether the capacity probe's idle reading had other work beside it. */
export function noisyCapacity(
  results: BenchResults,
  server: ServerResult,
): boolean {
  const limit = results.quiet?.limitCores ?? Infinity;
  return (server.capacity?.idleOtherCores ?? 0) > limit;
}

/** The other work beside `round`, in cores: the other tasks' CPU where the
 * load generator counted it, else what neither the server nor the load
 * generator used of the machine's busy time. */
export function otherCoresOf(
  round: Pick<
    Round,
    | "machineCpuSeconds"
    | "serverCpuSeconds"
    | "loadgenCpuSeconds"
    | "otherTasksCpuSeconds"
    | "seconds"
  >,
): number {
  if (round.otherTasksCpuSeconds != null) {
    return round.otherTasksCpuSeconds / round.seconds;
  }
  return (round.machineCpuSeconds - (round.serverCpuSeconds ?? 0) -
    round.loadgenCpuSeconds) / round.seconds;
}

/** Reads a results file: schema 3, or an older one brought up to it (schema
 * 1: the Deno load generator, no open-loop runs; schema 1 and 2: no quiet
 * check, rows measured one server after another). Throws on anything else. */
export function parseResults(text: string): BenchResults {
  const json = JSON.parse(text);
  if (json?.schema === 3) return json as BenchResults;
  if (json?.schema !== 1 && json?.schema !== 2) {
    throw new Error(`not a bench results file (schema ${json?.schema})`);
  }
  const old = json as Omit<BenchResults, "schema" | "reference" | "quiet">;
  const rounds = (rounds: Round[] = []) =>
    rounds.map((r) => ({ ...r, otherCores: otherCoresOf(r), attempts: 1 }));
  const rows = <T extends Row>(rows: T[]) =>
    rows.map((row) => ({
      ...row,
      rounds: rounds(row.rounds),
      summary: row.summary && {
        ...row.summary,
        loadgenLimited: row.summary.loadgenLimited ??
          row.summary.loadgenCores.median >= LOADGEN_LIMIT,
      },
    }));
  return {
    ...old,
    schema: 3,
    reference: old.servers.some((s) => s.id === "reference c")
      ? "reference c"
      : null,
    quiet: null,
    loadgen: old.loadgen ?? { name: "deno", threads: 1 },
    settings: {
      ...old.settings,
      // Schema 1 ran no open loop.
      rates: old.settings.rates ?? [],
      rateConnections: old.settings.rateConnections ?? 0,
      openLoopRounds: old.settings.rounds,
    },
    servers: old.servers.map((server) => ({
      ...server,
      date: server.date ?? old.date,
      capacity: server.capacity &&
        { ...server.capacity, idleOtherCores: null, attempts: 1 },
      openLoop: rows(server.openLoop ?? []),
      rows: rows(server.rows),
    })),
  };
}
