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

/** The whole result file. */
export interface BenchResults {
  /** Bumped when a field changes meaning or appears (schema 1 files are
   * read as schema 2 with no open-loop runs: see parseResults). */
  schema: 2;
  /** ISO 8601 time the run finished. */
  date: string;
  /** `deno task bench` arguments, e.g. `["--quick"]`. */
  args: string[];
  machine: Machine;
  /** Cores the machine kept busy during 2 s before the run (other work). */
  backgroundCores: number;
  settings: Settings;
  /** The load generator that drove every server. */
  loadgen: LoadgenInfo;
  /** Things the reader should know: skipped references, caveats. */
  notes: string[];
  servers: ServerResult[];
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
  rounds: number;
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
  /** ISO 8601 time it was measured (a merged file mixes runs). */
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

/** Reads a results file: schema 2, or schema 1 (the Deno load generator, no
 * open-loop runs) brought up to it. Throws on anything else. */
export function parseResults(text: string): BenchResults {
  const json = JSON.parse(text);
  if (json?.schema === 2) return json as BenchResults;
  if (json?.schema !== 1) {
    throw new Error(`not a bench results file (schema ${json?.schema})`);
  }
  const old = json as Omit<BenchResults, "schema" | "loadgen">;
  return {
    ...old,
    schema: 2,
    loadgen: { name: "deno", threads: 1 },
    settings: { ...old.settings, rates: [], rateConnections: 0 },
    servers: old.servers.map((server) => ({
      ...server,
      date: server.date ?? old.date,
      openLoop: server.openLoop ?? [],
      rows: server.rows.map((row) => ({
        ...row,
        summary: row.summary && {
          ...row.summary,
          loadgenLimited: row.summary.loadgenCores.median >= LOADGEN_LIMIT,
        },
      })),
    })),
  };
}
