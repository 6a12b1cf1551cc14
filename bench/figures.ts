/**
 * The bench figures prose may quote, computed from `BenchResults` and
 * formatted with their units, so a README states a figure by name instead of
 * retyping it (see site/figures.ts for how a README names one).
 *
 * A figure's name is `SERVER/METRIC`, or `SERVER/METRIC@CONNECTIONSxSIZE` for
 * a closed-loop cell:
 *
 * - SERVER is a chapter folder, with `:VARIANT` for a `server:VARIANT` task
 *   (`06-epoll`, `06-epoll:edge`), or `ref:NAME` for a reference server
 *   (`ref:c`, `ref:node`).
 * - METRIC is a key of `METRICS` below, e.g. `06-epoll/rss-per-connection`,
 *   `04-nonblocking/rt/s@100x64`.
 *
 * `A ÷ B` is the ratio of two figures, to 3 digits (`1.02`, `6.32` times):
 * enough to tell 0.95 from 1 when a target is a ratio; `A − B` is
 * their difference in the units of A, and `machine` is the date
 * and machine of the run every figure comes from, for the sentence that
 * names it beside `deno task bench` and bench/results/latest.json.
 *
 * Memory is in binary units (KiB = 1,024 bytes), the lab's unit rule.
 *
 * @example
 * ```ts
 * import { figure } from "./figures.ts";
 * import { parseResults } from "./results.ts";
 * const results = parseResults(
 *   Deno.readTextFileSync("bench/results/latest.json"),
 * );
 * console.log(figure(results, "06-epoll/rss-per-connection")); // 1.03 KiB
 * ```
 *
 * @module
 */
import type { BenchResults, RowSummary, ServerResult } from "./results.ts";

/** One kind of figure: how to get it from a server's results and how to
 * write it. */
interface Metric {
  /** Whether the name carries `@CONNECTIONSxSIZE`. */
  cell: boolean;
  value(server: ServerResult, cell: RowSummary | null): number | null;
  format(value: number): string;
}

const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** Every metric, by the name figures use. */
export const METRICS: Record<string, Metric> = {
  /** Connections held at once by the capacity probe, every one echoing. */
  "held": {
    cell: false,
    value: (s) => s.capacity?.held ?? null,
    format: count,
  },
  /** (RSS at `held` - idle RSS) / `held`. */
  "rss-per-connection": {
    cell: false,
    value: (s) => s.capacity?.rssPerConnectionBytes ?? null,
    format: bytes,
  },
  /** RSS when the probe held the most connections. */
  "rss-at-held": {
    cell: false,
    value: (s) => atHeld(s)?.rssBytes ?? null,
    format: bytes,
  },
  /** Address space (VmSize) when the probe held the most connections. */
  "vmsize-at-held": {
    cell: false,
    value: (s) => atHeld(s)?.virtualBytes ?? null,
    format: bytes,
  },
  /** (VmSize at `held` - idle VmSize) / `held`. */
  "vmsize-per-connection": {
    cell: false,
    value: (s) => {
      const [held, idle] = [atHeld(s)?.virtualBytes, s.idle?.virtualBytes];
      return held && idle ? (held - idle) / s.capacity!.held : null;
    },
    format: bytes,
  },
  /** Server CPU, as a share of one core, with the held connections silent. */
  "idle-cpu": {
    cell: false,
    value: (s) => s.capacity?.idleCores ?? null,
    format: (cores) => `${Math.round(cores * 100)} %`,
  },
  /** RSS right after start, before any client. */
  "idle-rss": {
    cell: false,
    value: (s) => s.idle?.rssBytes ?? null,
    format: bytes,
  },
  /** Address space (VmSize) right after start. */
  "idle-vmsize": {
    cell: false,
    value: (s) => s.idle?.virtualBytes ?? null,
    format: bytes,
  },
  "idle-threads": {
    cell: false,
    value: (s) => s.idle?.threads ?? null,
    format: count,
  },
  "idle-processes": {
    cell: false,
    value: (s) => s.idle?.processes ?? null,
    format: count,
  },
  /** Median round trips per second of a cell. */
  "rt/s": {
    cell: true,
    value: (_, c) => c?.roundTripsPerSecond.median ?? null,
    format: count,
  },
  /** The lowest and highest round of a cell, round trips per second. */
  "rt/s-min": {
    cell: true,
    value: (_, c) => c?.roundTripsPerSecond.min ?? null,
    format: count,
  },
  "rt/s-max": {
    cell: true,
    value: (_, c) => c?.roundTripsPerSecond.max ?? null,
    format: count,
  },
  /** Median server CPU seconds per million round trips of a cell. */
  "cpu": {
    cell: true,
    value: (_, c) => c?.cpuSecondsPerMillion?.median ?? null,
    format: (n) => n.toFixed(1),
  },
  "p50": {
    cell: true,
    value: (_, c) => c?.p50Us.median ?? null,
    format: duration,
  },
  "p99": {
    cell: true,
    value: (_, c) => c?.p99Us.median ?? null,
    format: duration,
  },
  /** Median cores the server kept busy (1 = one core). */
  "cores": {
    cell: true,
    value: (_, c) => c?.serverCores?.median ?? null,
    format: (n) => n.toFixed(1),
  },
  /** Median cores the load generator kept busy (near 1: it was the limit). */
  "loadgen-cores": {
    cell: true,
    value: (_, c) => c?.loadgenCores.median ?? null,
    format: (n) => n.toFixed(2),
  },
};

/** `n` bytes in B, KiB, MiB or GiB, to 3 significant digits. */
export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  const digits = i === 0 ? Math.round(n) : Number(n.toPrecision(3));
  return `${digits.toLocaleString("en-US")} ${units[i]}`;
}

/** `us` microseconds in µs, ms or s: whole units from 10 up, 2 significant
 * digits below. */
export function duration(us: number): string {
  const [value, unit] = us >= 1e6
    ? [us / 1e6, "s"]
    : us >= 1e3
    ? [us / 1e3, "ms"]
    : [us, "µs"];
  const digits = value >= 10 ? Math.round(value) : Number(value.toPrecision(2));
  return `${digits.toLocaleString("en-US")} ${unit}`;
}

/** The figure `name` renders as, from `results`. Throws, naming the figure,
 * when the results lack it (a server not measured, a cell not run). */
export function figure(results: BenchResults, name: string): string {
  if (name === "machine") return machine(results);
  const pair = name.match(/^(.+) ([÷−]) (.+)$/);
  if (pair) {
    const [a, b] = [pair[1], pair[3]].map((part) => figureValue(results, part));
    if (pair[2] === "÷") {
      return Number((a / b).toPrecision(3)).toLocaleString("en-US", {
        maximumFractionDigits: 3,
      });
    }
    return METRICS[parseName(pair[1]).metric].format(a - b);
  }
  return METRICS[parseName(name).metric].format(figureValue(results, name));
}

/** When and where the results were measured. */
function machine(results: BenchResults): string {
  const m = results.machine;
  const kernel = m.kernel.replace(/^linux /, "Linux ");
  return `${results.date.slice(0, 10)}: ${m.cpu}, ${m.cores} cores, ` +
    `${bytes(m.memoryBytes)}, ${kernel}, Deno ${m.deno}`;
}

function figureValue(results: BenchResults, name: string): number {
  const { server: key, metric, connections, size } = parseName(name);
  const fail = (why: string) => new Error(`figure ${name}: ${why}`);
  const server = results.servers.find((s) => serverKey(s) === key);
  if (!server) throw fail(`no server ${key} in the results`);
  if (server.error) throw fail(`${key} was not measured: ${server.error}`);
  let cell: RowSummary | null = null;
  if (METRICS[metric].cell) {
    const row = server.rows.find((r) =>
      r.connections === connections && r.size === size
    );
    if (!row) throw fail(`${key} has no cell ${connections}x${size}`);
    if (!row.summary) {
      throw fail(`cell ${connections}x${size} ${row.status}: ${row.reason}`);
    }
    cell = row.summary;
  }
  const value = METRICS[metric].value(server, cell);
  if (value === null || !Number.isFinite(value)) {
    throw fail(`${key} has no ${metric} in the results`);
  }
  return value;
}

/** `06-epoll:edge` for the task `server:edge` of chapter 06, `ref:c` for
 * the C reference. */
export function serverKey(server: ServerResult): string {
  if (server.chapter === null) return `ref:${server.task}`;
  const variant = server.task.replace(/^server:?/, "");
  return variant ? `${server.chapter}:${variant}` : server.chapter;
}

function parseName(name: string) {
  const match = name.match(/^([\w:-]+)\/([\w/-]+?)(?:@(\d+)x(\d+))?$/);
  const metric = match?.[2] ?? "";
  if (!match || !(metric in METRICS)) {
    throw new Error(
      `figure ${name}: not SERVER/METRIC[@CONNECTIONSxSIZE] with a METRIC ` +
        `of ${Object.keys(METRICS).join(", ")}`,
    );
  }
  if (METRICS[metric].cell !== (match[3] !== undefined)) {
    throw new Error(
      `figure ${name}: ${metric} ${
        METRICS[metric].cell ? "needs" : "takes no"
      } @CONNECTIONSxSIZE`,
    );
  }
  return {
    server: match[1],
    metric,
    connections: Number(match[3]),
    size: Number(match[4]),
  };
}

function atHeld(server: ServerResult) {
  const c = server.capacity;
  return c?.steps.findLast((step) => step.echoed === c.held) ?? null;
}
