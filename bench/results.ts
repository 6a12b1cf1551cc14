/**
 * The shape of `bench/results/latest.json` (documented in bench/README.md),
 * how it is written, and the JSON lines the load generator prints.
 *
 * @module
 */
import type { Spread } from "./stats.ts";

/** Failures by kind, e.g. `{ "closed by server": 3 }`. */
export type ErrorCounts = Record<string, number>;

/** The whole result file. */
export interface BenchResults {
  /** Bumped when a field changes meaning. */
  schema: 1;
  /** ISO 8601 time the run finished. */
  date: string;
  /** `deno task bench` arguments, e.g. `["--quick"]`. */
  args: string[];
  machine: Machine;
  /** Cores the machine kept busy during 2 s before the run (other work). */
  backgroundCores: number;
  settings: Settings;
  /** Things the reader should know: skipped references, caveats. */
  notes: string[];
  servers: ServerResult[];
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  deno: string;
  v8: string;
  /** `node --version`, or null when absent. */
  node: string | null;
  /** `gcc --version` first line, or null when absent. */
  gcc: string | null;
  /** RLIMIT_NOFILE soft limit the servers inherit. */
  noFileLimit: number;
}

export interface Settings {
  quick: boolean;
  /** Chapter folder prefixes asked for (empty: all). */
  chapters: string[];
  /** Reference servers asked for. */
  references: string[];
  sizes: number[];
  connections: number[];
  rounds: number;
  roundMs: number;
  warmupMs: number;
  /** The capacity probe's last step. */
  maxConnections: number;
  memoryBudgetMb: number;
  timeoutMs: number;
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
  /** Set when the server could not be measured at all. */
  error: string | null;
  /** Right after start, before any client. */
  idle: Usage | null;
  capacity: Capacity | null;
  rows: Row[];
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

export interface Round {
  roundTrips: number;
  bytes: number;
  seconds: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  serverCpuSeconds: number | null;
  loadgenCpuSeconds: number;
  /** Every core of the machine, busy for any reason (see otherCores). */
  machineCpuSeconds: number;
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
  /** Machine CPU not used by the server or the load generator, per wall
   * second: the kernel's deferred network work (ksoftirqd) and anything else
   * running. Near 0 on a quiet machine; large values mean noisy figures. */
  otherCores: Spread | null;
  rssBytes: number | null;
  threads: number | null;
  processes: number | null;
}

/** The load generator's stdout: one of these per line. */
export type LoadgenEvent =
  | CapacityStep & { event: "step"; errors: ErrorCounts }
  | {
    event: "probe";
    held: number;
    failedAt: number | null;
    failure: string | null;
    errors: ErrorCounts;
    idleConnections: number | null;
    idleCores: number | null;
  }
  | {
    event: "connected";
    connections: number;
    echoed: number;
    errors: ErrorCounts;
  }
  | (
    & { event: "round"; size: number; round: number; connections: number }
    & Round
  )
  | { event: "done"; errors: ErrorCounts };

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
