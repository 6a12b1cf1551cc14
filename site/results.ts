/**
 * Benchmark and trace results, when other tools have produced them:
 * `bench/results/latest.json` plus SVG charts in `bench/results/`, and
 * `trace/results/<chapter>/` with `trace.txt`, `timeline.svg`, `meta.json`.
 * The benchmark's file is read with the bench's own type and reader
 * (bench/results.ts), so a field renamed there fails `deno check` here; the
 * trace's shape belongs to the tracer and is read tolerantly. The site builds
 * without any of it.
 *
 * @module
 */
import { readText } from "@echo-lab/docs/files";
import { filesIn } from "./content.ts";
import {
  type BenchResults,
  parseResults,
  type Row,
  type ServerResult,
} from "@echo-lab/bench/results";

/** A table of display strings. */
export interface Table {
  columns: string[];
  rows: Record<string, string>[];
}

/** What `bench/results/` holds, ready to show. */
export interface BenchView {
  /** When and where it ran. */
  about: Record<string, string>;
  notes: string[];
  /** Titled tables; each row's `server` cell names the chapter folder. */
  tables: { title: string; table: Table }[];
  /** Repository paths of the charts. */
  charts: string[];
  /** Measured facts per chapter folder, for the comparison table. */
  measured: Record<string, { threads?: string; held?: string; rss?: string }>;
}

/** What `trace/results/<chapter>/` holds. */
export interface TraceResults {
  /** Repository path of the timeline chart, if any. */
  timeline: string | null;
  trace: string | null;
  about: Record<string, string>;
  /** System calls made during the trace: name → count. */
  counts: Record<string, string> | null;
}

/** The benchmark results, or null when there are none. */
export function loadBench(): BenchView | null {
  const text = readText("bench/results/latest.json");
  const charts = filesIn("bench/results").filter((f) => f.endsWith(".svg"));
  if (text === null && charts.length === 0) return null;
  const view = text === null ? emptyView() : benchFrom(parseResults(text));
  return { ...view, charts };
}

/** The tables and facts of a results file. */
export function benchFrom(results: BenchResults): Omit<BenchView, "charts"> {
  const { servers } = results;
  const limited = "‡ = limited by the load generator (its CPU neared a " +
    "core): its limit, not the server's; not a ranking.";
  const footprint: Table = {
    columns: [
      "server",
      "threads idle",
      "RSS idle",
      "connections held",
      "RSS per connection",
      "failure",
    ],
    rows: servers.map((s) => ({
      server: s.id,
      "threads idle": display(s.idle?.threads),
      "RSS idle": bytes(s.idle?.rssBytes),
      "connections held": display(s.capacity?.held),
      "RSS per connection": bytes(s.capacity?.rssPerConnectionBytes),
      failure: s.error ?? s.capacity?.failure ?? "",
    })),
  };
  const tables = [{ title: "Footprint and capacity", table: footprint }];
  for (
    const [title, pick] of [
      [
        "Round trips per second (median)",
        (r: Row) => r.summary!.roundTripsPerSecond.median,
      ],
      [
        "Latency p99 (µs, median of rounds)",
        (r: Row) => r.summary!.p99Us.median,
      ],
      [
        "Server CPU seconds per million round trips",
        (r: Row) => r.summary!.cpuSecondsPerMillion?.median,
      ],
    ] as const
  ) {
    const table = pivot(
      servers,
      (s) => s.rows,
      (r) => `${r.connections} conn × ${r.size} B`,
      (r) => display(pick(r)),
    );
    if (table) tables.push({ title: `${title}; ${limited}`, table });
  }
  const open = pivot(
    servers,
    (s) => s.openLoop,
    (r) => `${display(r.rate)} rt/s`,
    (r) =>
      `${display(r.summary!.serverCores?.median)} cores / ${
        display(r.summary!.p99Us.median)
      } µs`,
  );
  if (open) {
    tables.push({
      title: `Open loop, ${results.settings.rateConnections} connections: ` +
        `server CPU and p99 at fixed offered rates; ${limited}`,
      table: open,
    });
  }
  // Per chapter: the first server's idle threads and memory, and the most
  // connections any of its servers held.
  const measured: BenchView["measured"] = {};
  const held: Record<string, number> = {};
  for (const s of servers) {
    if (s.chapter === null) continue;
    const m = measured[s.chapter] ??= {};
    if (m.threads === undefined && s.idle) m.threads = display(s.idle.threads);
    const capacity = s.capacity;
    if (capacity && !(held[s.chapter] >= capacity.held)) {
      held[s.chapter] = capacity.held;
      m.held = display(capacity.held);
    }
    if (m.rss === undefined && capacity?.rssPerConnectionBytes != null) {
      m.rss = bytes(capacity.rssPerConnectionBytes);
    }
  }
  const about = {
    ...describe(results),
    "load generator": `${results.loadgen.name}, ${results.loadgen.threads} ` +
      `thread${results.loadgen.threads === 1 ? "" : "s"}`,
  };
  return { about, notes: results.notes, tables, measured };
}

/** One column per cell, one row per server; a cell that did not run shows
 * its status, one limited by the load generator a ‡. */
function pivot<R extends Row>(
  servers: ServerResult[],
  rowsOf: (s: ServerResult) => R[],
  column: (r: R) => string,
  format: (r: R) => string,
): Table | null {
  const columns = new Set<string>();
  const rows = servers.map((s) => {
    const row: Record<string, string> = { server: s.id };
    for (const r of rowsOf(s)) {
      columns.add(column(r));
      row[column(r)] = r.summary
        ? format(r) + (r.summary.loadgenLimited ? " ‡" : "")
        : r.status;
    }
    return row;
  });
  if (columns.size === 0) return null;
  return { columns: ["server", ...columns], rows };
}

function emptyView(): Omit<BenchView, "charts"> {
  return { about: {}, notes: [], tables: [], measured: {} };
}

/** The trace results of one chapter, or null when there are none. */
export function loadTrace(slug: string): TraceResults | null {
  const dir = `trace/results/${slug}`;
  const files = filesIn(dir);
  if (files.length === 0) return null;
  const timeline = files.find((f) => f.endsWith("timeline.svg")) ??
    files.find((f) => f.endsWith(".svg")) ?? null;
  const meta = parseJson(readText(`${dir}/meta.json`));
  const counts = record(record(record(meta).summary).counts);
  return {
    timeline,
    trace: readText(`${dir}/trace.txt`),
    about: isRecord(meta) ? describe(meta) : {},
    counts: Object.keys(counts).length
      ? Object.fromEntries(
        Object.entries(counts).map(([call, n]) => [call, display(n)]),
      )
      : null,
  };
}

/** The rows of `table` about chapter `slug` (a cell naming its folder). */
export function rowsFor(table: Table, slug: string): Table | null {
  const rows = table.rows.filter((row) =>
    Object.values(row).some((v) =>
      v === slug || v.startsWith(`${slug}:`) || v.startsWith(`${slug} `) ||
      v.startsWith(`chapters/${slug}`)
    )
  );
  return rows.length ? { columns: table.columns, rows } : null;
}

/** Date and machine of a result file, as label → text. */
function describe(
  json: BenchResults | Record<string, unknown>,
): Record<string, string> {
  const out: Record<string, string> = {};
  if (json.date !== undefined) {
    out.date = String(json.date).slice(0, 16).replace("T", " ");
  }
  const m = record(json.machine);
  const machine = [
    m.cpu,
    m.cores !== undefined && `${m.cores} cores`,
    typeof m.memoryBytes === "number" &&
    `${Math.round(m.memoryBytes / 2 ** 30)} GiB`,
    m.kernel,
    m.deno !== undefined && `Deno ${m.deno}`,
  ].filter(Boolean).join(", ");
  if (machine) out.machine = machine;
  if (Array.isArray(json.args) && json.args.length) {
    out.run = json.args.join(" ");
  }
  return out;
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function display(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") {
    return Number.isInteger(value) || Math.abs(value) >= 100
      ? Math.round(value).toLocaleString("en-US")
      : value.toPrecision(3);
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function bytes(value: unknown): string {
  if (typeof value !== "number") return "";
  const units = ["B", "KB", "MB", "GB"];
  let n = value, unit = 0;
  while (n >= 1000 && unit < units.length - 1) n /= 1000, unit++;
  return `${n.toPrecision(3).replace(/\.0+$/, "")} ${units[unit]}`;
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
