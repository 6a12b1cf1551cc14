/**
 * Benchmark and trace results, when other tools have produced them:
 * `bench/results/latest.json` plus SVG charts in `bench/results/`, and
 * `trace/results/<chapter>/` with `trace.txt`, `timeline.svg`, `meta.json`.
 * Their shapes belong to those tools, so this reads them tolerantly: it
 * knows the benchmark's schema 1 and otherwise shows whatever list of
 * records the JSON holds. The site builds without any of it.
 *
 * @module
 */
import { filesIn, readText } from "./content.ts";

/** A table of display strings. */
export interface Table {
  columns: string[];
  rows: Record<string, string>[];
}

/** What `bench/results/` holds, ready to show. */
export interface BenchResults {
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
export function loadBench(): BenchResults | null {
  const json = parseJson(readText("bench/results/latest.json"));
  const charts = filesIn("bench/results").filter((f) => f.endsWith(".svg"));
  if (json === undefined && charts.length === 0) return null;
  return { ...benchFrom(json), charts };
}

/** The tables and facts in a parsed `latest.json`. */
export function benchFrom(json: unknown): Omit<BenchResults, "charts"> {
  const about = isRecord(json) ? describe(json) : {};
  const notes = isRecord(json) && Array.isArray(json.notes)
    ? json.notes.map(String)
    : [];
  if (!isRecord(json) || !Array.isArray(json.servers)) {
    const table = findTable(json);
    return {
      about,
      notes,
      tables: table ? [{ title: "Results", table }] : [],
      measured: {},
    };
  }
  const servers = json.servers.filter(isRecord);
  const name = (s: Record<string, unknown>) =>
    String(s.id ?? `${s.chapter ?? "reference"} ${s.task ?? ""}`);
  const footprint: Table = {
    columns: [
      "server",
      "threads idle",
      "RSS idle",
      "connections held",
      "RSS per connection",
      "failure",
    ],
    rows: servers.map((s) => {
      const idle = record(s.idle), cap = record(s.capacity);
      return {
        server: name(s),
        "threads idle": display(idle.threads),
        "RSS idle": bytes(idle.rssBytes),
        "connections held": display(cap.held),
        "RSS per connection": bytes(cap.rssPerConnectionBytes),
        failure: String(s.error ?? cap.failure ?? ""),
      };
    }),
  };
  const tables = [{ title: "Footprint and capacity", table: footprint }];
  for (
    const [title, key, format] of [
      ["Round trips per second (median)", "roundTripsPerSecond", display],
      ["Latency p99 (µs, median of rounds)", "p99Us", display],
      [
        "Server CPU seconds per million round trips",
        "cpuSecondsPerMillion",
        display,
      ],
    ] as const
  ) {
    const table = pivot(servers, name, key, format);
    if (table) tables.push({ title, table });
  }
  // Per chapter: the first server's idle threads and memory, and the most
  // connections any of its servers held.
  const measured: BenchResults["measured"] = {};
  const held: Record<string, number> = {};
  for (const s of servers) {
    if (typeof s.chapter !== "string") continue;
    const idle = record(s.idle), cap = record(s.capacity);
    const m = measured[s.chapter] ??= {};
    if (m.threads === undefined && idle.threads !== undefined) {
      m.threads = display(idle.threads);
    }
    if (typeof cap.held === "number" && !(held[s.chapter] >= cap.held)) {
      held[s.chapter] = cap.held;
      m.held = display(cap.held);
    }
    if (m.rss === undefined && cap.rssPerConnectionBytes != null) {
      m.rss = bytes(cap.rssPerConnectionBytes);
    }
  }
  return { about, notes, tables, measured };
}

/** One column per (connections, size) cell, one row per server. */
function pivot(
  servers: Record<string, unknown>[],
  name: (s: Record<string, unknown>) => string,
  key: string,
  format: (v: unknown) => string,
): Table | null {
  const columns = new Set<string>();
  const rows = servers.map((s) => {
    const row: Record<string, string> = { server: name(s) };
    for (const r of Array.isArray(s.rows) ? s.rows.filter(isRecord) : []) {
      const column = `${r.connections} conn × ${r.size} B`;
      columns.add(column);
      const value = record(record(r.summary)[key]).median;
      row[column] = value === undefined
        ? String(r.status ?? "")
        : format(value);
    }
    return row;
  });
  if (columns.size === 0) return null;
  return { columns: ["server", ...columns], rows };
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
function describe(json: Record<string, unknown>): Record<string, string> {
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

/** The first list of records in `json` (itself or one of its properties). */
function findTable(json: unknown): Table | null {
  const candidates = [json, ...(isRecord(json) ? Object.values(json) : [])];
  const records = candidates.find((c): c is Record<string, unknown>[] =>
    Array.isArray(c) && c.length > 0 && c.every(isRecord)
  );
  if (!records) return null;
  const rows = records.map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, display(v)]))
  );
  return { columns: [...new Set(rows.flatMap(Object.keys))], rows };
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
