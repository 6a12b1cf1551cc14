/**
 * The summary tables of a run, in Markdown, rendered from its results file so
 * that no figure is ever copied by hand. `deno task bench` writes them to
 * `summary.md` beside `latest.json`; render them again from any results file:
 *
 *     deno run --allow-read bench/report.ts bench/results/latest.json > bench/results/summary.md
 *
 * @module
 */
import { machineLine } from "@echo-lab/harness/machine";
import {
  type BenchResults,
  type CountRow,
  type CountRun,
  parseResults,
  type Row,
  type ServerCounts,
  type ServerResult,
} from "./results.ts";
import { COUNT_SIZE, figure } from "./count.ts";
import type { Spread } from "./stats.ts";

/** The connection count of the detailed table (or the most a server held). */
export const FOCUS_CONNECTIONS = 100;
/** The message size of the detailed table. */
export const FOCUS_SIZE = 64;

/** Every summary table of `results`, with a heading naming the run. */
export function renderSummary(results: BenchResults): string {
  const measured = results.servers.filter((s) => !s.error);
  const failed = results.servers.filter((s) => s.error);
  const command = ["deno task bench", ...results.args].join(" ");
  const parts = [
    `# Benchmark summary`,
    `Rendered by \`bench/report.ts\` from \`latest.json\`: \`${command}\` on ` +
    `${machineLine(results.machine, results.date)} (run finished ` +
    `${results.date}). Medians of ${results.settings.rounds} rounds of ` +
    `${results.settings.roundMs} ms; "–" = not run (the capacity probe held ` +
    `fewer connections), "failed" = some connection or echo failed, ` +
    `"${LIMITED}" = limited by the load generator (${results.loadgen.name}, ` +
    `${results.loadgen.threads} thread(s): its CPU per thread neared a ` +
    `core), so the figure is its limit, not the server's: do not rank ` +
    `servers by it. Cores busy before the run: ` +
    `${results.backgroundCores.toFixed(2)}.`,
    ...mixedDates(results),
    ...results.notes.map((note) => `- ${note}`),
    ...failed.map((s) => `- ${s.label} could not be measured: ${s.error}`),
    `## Footprint and capacity`,
    table(
      [
        "server",
        "threads / processes idle",
        "RSS idle",
        "held",
        "beyond that",
        "RSS per connection",
        "CPU idle with held open",
      ],
      measured.map(capacityCells),
    ),
    ...results.settings.sizes.flatMap((size) => [
      `## Round trips per second, ${bytes(size)}`,
      table(
        ["server", ...results.settings.connections.map(count)],
        measured.map((s) => [
          s.label,
          ...results.settings.connections.map((c) =>
            rateCell(rowOf(s, c, size))
          ),
        ]),
      ),
    ]),
    `## At ${count(FOCUS_CONNECTIONS)} connections, ${bytes(FOCUS_SIZE)}`,
    `(or the most connections the server held, when fewer)`,
    table(
      [
        "server",
        "conns",
        "rt/s",
        "p50 µs",
        "p99 µs",
        "p99.9 µs",
        "CPU s / 10⁶ rt",
        "server cores",
        "loadgen cores",
        "other cores",
      ],
      measured.flatMap((s) => {
        const row = focusRow(s);
        return row ? [focusCells(s, row)] : [];
      }),
    ),
    ...openLoopSection(results, measured),
    ...countSection(results),
  ];
  return parts.join("\n\n") + "\n";
}

/** The counting pass's section of the summary (none before it existed). */
function countSection(results: BenchResults): string[] {
  const counts = results.counts;
  if (!counts) return [];
  return [
    `## System calls and wake-ups per round trip, ${bytes(COUNT_SIZE)}`,
    `Counted by \`bench/count.ts\` (\`deno task bench --count\`), not timed, ` +
    `closed loop, over the server's whole process tree: calls/rt by perf ` +
    `(the raw_syscalls:sys_enter tracepoint, no thread stopped), wake-ups ` +
    `(voluntary context switches of its threads) and threads in the same ` +
    `untraced run, then a run under \`${counts.tool}\` for the names. Round ` +
    `trips are counted from the bytes the server's sockets received. These ` +
    `depend little on the machine's speed or load: a busy poller's (04) ` +
    `spinning does, and where one call serves many ready sockets (a wait, ` +
    `io_uring_enter) the call count falls as more are ready, which is why ` +
    `strace, slowing the server, reads lower there than perf (cores busy ` +
    `before the pass: ${counts.backgroundCores.toFixed(2)}). "(N err)" = ` +
    `calls that failed, ` +
    `e.g. EAGAIN; "(@N)" = the most connections the server was counted at.`,
    countTable(counts),
  ];
}

/**
 * The counting pass as one Markdown table, a row per server (those of
 * `ids` only, in that order, when given): system calls per round trip at
 * each connection count (counted by perf, untraced; strace's count where
 * perf was not available), what strace counted at the most connections the
 * server was counted at, with the three most frequent calls, wake-ups per
 * round trip, and threads. Chapters and "Choosing a model" place it in
 * their pages.
 */
export function countTable(counts: CountRun, ids?: string[]): string {
  const servers = ids
    ? ids.flatMap((id) => counts.servers.filter((s) => s.id === id))
    : counts.servers;
  const conns = [
    ...new Set(servers.flatMap((s) => s.rows.map((r) => r.connections))),
  ].sort((a, b) => a - b);
  const at = (s: ServerCounts, c: number) =>
    s.rows.find((r) => r.connections === c);
  const cell = (row: CountRow | undefined, value: number | null | undefined) =>
    row?.status === "ok" && value != null
      ? figure(value)
      : row?.status === "failed"
      ? "failed"
      : "–";
  return table(
    [
      "server",
      ...conns.map((c) => `calls/rt @${count(c)}`),
      "under strace -c -f: calls/rt, most frequent",
      ...conns.map((c) => `wake-ups/rt @${count(c)}`),
      "threads",
    ],
    servers.map((s) => {
      const last = s.rows.findLast((r) => r.status === "ok");
      const where = last && last.connections !== conns.at(-1)
        ? ` (@${count(last.connections)})`
        : "";
      return [
        s.label,
        ...conns.map((c) => {
          const row = at(s, c);
          return cell(
            row,
            row?.untracedSyscallsPerRoundTrip ?? row?.syscallsPerRoundTrip,
          );
        }),
        last
          ? `${figure(last.syscallsPerRoundTrip!)}: ` +
            last.top.map((t) =>
              `${t.name} ${figure(t.perRoundTrip)}` +
              (t.errorsPerRoundTrip > 0
                ? ` (${figure(t.errorsPerRoundTrip)} err)`
                : "")
            ).join(", ") + where
          : "–",
        ...conns.map((c) => cell(at(s, c), at(s, c)?.wakeupsPerRoundTrip)),
        last?.threads != null ? count(last.threads) + where : "–",
      ];
    }),
  );
}

/** The row of the detailed table: 64 B at 100 connections, or at the most
 * connections below that the server was measured with. */
export function focusRow(server: ServerResult): Row | undefined {
  return server.rows
    .filter((r) =>
      r.size === FOCUS_SIZE && r.summary && r.connections <= FOCUS_CONNECTIONS
    )
    .sort((a, b) => b.connections - a.connections)[0];
}

/** A Markdown table, padded so it reads as plain text too; a column of
 * figures (every cell starts with a digit, a minus or "–"), other than the
 * first, aligns right. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) =>
    Math.max(3, h.length, ...rows.map((r) => r[i].length))
  );
  // The first column names the row (a server such as "06-epoll"): left.
  const right = header.map((_, i) =>
    i > 0 && rows.length > 0 && rows.every((r) => /^[\d–-]/.test(r[i]))
  );
  const line = (cells: string[]) =>
    `| ${
      cells.map((c, i) =>
        right[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])
      ).join(" | ")
    } |`;
  const rule = widths.map((w, i) =>
    right[i] ? "-".repeat(w - 1) + ":" : "-".repeat(w)
  );
  return [line(header), `| ${rule.join(" | ")} |`, ...rows.map(line)]
    .join("\n");
}

function capacityCells(server: ServerResult): string[] {
  const capacity = server.capacity!;
  const idle = server.idle;
  const beyond = capacity.failure
    ? capacity.failure +
      (capacity.serverSaid ? `: “${capacity.serverSaid}”` : "")
    : "held all asked for";
  return [
    server.label,
    idle ? `${idle.threads} / ${idle.processes}` : "?",
    idle ? megabytes(idle.rssBytes) : "?",
    count(capacity.held),
    beyond.replaceAll("|", "\\|"),
    capacity.rssPerConnectionBytes === null
      ? "?"
      : size(capacity.rssPerConnectionBytes),
    capacity.idleCores === null
      ? "?"
      : `${Math.round(capacity.idleCores * 100)}% @ ${
        count(capacity.idleConnections ?? 0)
      }`,
  ];
}

function focusCells(server: ServerResult, row: Row): string[] {
  const s = row.summary!;
  const med = (spread: Spread | null, digits: number) =>
    spread ? spread.median.toFixed(digits) : "?";
  return [
    server.label + (row.status === "failed" ? " (failed)" : "") +
    limitedMark(row),
    count(row.connections),
    count(s.roundTripsPerSecond.median),
    count(s.p50Us.median),
    count(s.p99Us.median),
    count(s.p999Us.median),
    med(s.cpuSecondsPerMillion, 1),
    med(s.serverCores, 2),
    med(s.loadgenCores, 2),
    med(s.otherCores, 2),
  ];
}

/** Open loop: server cores and p99 per offered rate. */
function openLoopSection(
  results: BenchResults,
  measured: ServerResult[],
): string[] {
  const { rates, rateConnections } = results.settings;
  const open = measured.filter((s) => s.openLoop.length > 0);
  if (rates.length === 0 || open.length === 0) return [];
  return [
    `## Open loop: ${count(rateConnections)} connections, ` +
    `${bytes(results.settings.sizes[0])}, fixed offered rates`,
    `Each cell: server cores (CPU seconds per second) / p99 µs, latency from ` +
    `the scheduled send time. "–" = not run (above 80% of the server's ` +
    `closed-loop rate, or more connections than it held).`,
    table(
      ["server", ...rates.map((r) => `${count(r)} rt/s`)],
      open.map((s) => [
        s.label,
        ...rates.map((rate) => {
          const row = s.openLoop.find((r) => r.rate === rate);
          if (!row?.summary) return row?.status === "failed" ? "failed" : "–";
          const cores = row.summary.serverCores?.median.toFixed(2) ?? "?";
          return `${cores} / ${count(row.summary.p99Us.median)}` +
            limitedMark(row) + (row.status === "failed" ? " (failed)" : "");
        }),
      ]),
    ),
  ];
}

/** A line naming when each server was measured, when a merged file holds
 * servers from more than one run. */
function mixedDates(results: BenchResults): string[] {
  const dates = new Set(results.servers.map((s) => s.date.slice(0, 16)));
  if (dates.size < 2) return [];
  return [
    `Merged from ${dates.size} runs: ` +
    results.servers.map((s) => `${s.label} ${s.date.slice(0, 16)}`)
      .join(", ") +
    ".",
  ];
}

const LIMITED = "‡";

function limitedMark(row: Row): string {
  return row.summary?.loadgenLimited ? ` ${LIMITED}` : "";
}

function rowOf(server: ServerResult, connections: number, size: number) {
  return server.rows.find((r) =>
    r.connections === connections && r.size === size
  );
}

function rateCell(row: Row | undefined): string {
  if (!row || row.status === "not run" || !row.summary) return "–";
  const rate = count(row.summary.roundTripsPerSecond.median) +
    limitedMark(row);
  return row.status === "failed" ? `${rate} (failed)` : rate;
}

function count(n: number): string {
  return Math.round(n).toLocaleString("en");
}

function bytes(n: number): string {
  return n % 1024 === 0 ? `${n / 1024} KiB` : `${n} B`;
}

function megabytes(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** Bytes in B, KB or MB (10³), three significant digits at most. */
function size(n: number): string {
  if (n < 1e3) return `${Math.round(n)} B`;
  if (n < 1e6) return `${Number((n / 1e3).toPrecision(3))} KB`;
  return `${Number((n / 1e6).toPrecision(3))} MB`;
}

if (import.meta.main) {
  const [file] = Deno.args;
  if (!file) {
    console.error("usage: deno run --allow-read bench/report.ts RESULTS.json");
    Deno.exit(2);
  }
  const results = parseResults(await Deno.readTextFile(file));
  console.log(renderSummary(results).trimEnd());
}
