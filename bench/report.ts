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
import { formatRatio, ratio } from "./compare.ts";
import {
  type BenchResults,
  type CountRow,
  type CountRun,
  inGrid,
  noisyCapacity,
  noisyRow,
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

/** Every summary table of `results` (read from `source`), with a heading
 * naming the run. */
export function renderSummary(
  results: BenchResults,
  source = "latest.json",
): string {
  const measured = results.servers.filter((s) => !s.error);
  const failed = results.servers.filter((s) => s.error);
  const command = ["deno task bench", ...results.args].join(" ");
  const reference = results.servers.find((s) => s.id === results.reference);
  const { rounds } = results.settings;
  const parts = [
    `# Benchmark summary`,
    `Rendered by \`bench/report.ts\` from \`${source}\`: \`${command}\` on ` +
    `${machineLine(results.machine, results.date)} (run finished ` +
    `${results.date}). ${method(results)} "–" = not run (the capacity ` +
    `probe held fewer connections), "failed" = some connection or echo ` +
    `failed, "${LIMITED}" = limited by the load generator ` +
    `(${results.loadgen.name}, ${results.loadgen.threads} thread(s): its ` +
    `CPU per thread neared a core), so its round trips/s are its limit, ` +
    `not the server's: do not rank servers by them. Cores busy before the ` +
    `run: ${results.backgroundCores.toFixed(2)}.`,
    ...quietLines(results),
    [
      ...results.notes.map((note) => `- ${note}`),
      ...failed.map((s) => `- ${s.label} could not be measured: ${s.error}`),
    ].join("\n"),
    ...(reference && !reference.error
      ? results.settings.sizes.flatMap((size) => [
        `## CPU per round trip, ratio to ${reference.label}, ${bytes(size)}`,
        `The server's CPU seconds per round trip over ${reference.label}'s, ` +
        `round by round: the median of ${rounds} rounds (the lowest and ` +
        `highest). Below 1 is cheaper than the reference. On two cores this ` +
        `is the fairest comparison: it does not depend on who waited for whom.`,
        ratioTable(results, measured, size, "cpu"),
        `## Round trips per second, ratio to ${reference.label}, ${
          bytes(size)
        }`,
        ratioTable(results, measured, size, "rate"),
      ])
      : [`No ratios: the C reference did not run in this run.`]),
    ...results.settings.sizes.flatMap((size) => [
      `## CPU µs per round trip, ${bytes(size)}`,
      `Medians over the rounds, on this machine.`,
      table(
        ["server", ...results.settings.connections.map(count)],
        measured.map((s) => [
          s.label,
          ...results.settings.connections.map((c) =>
            cpuCell(results, rowOf(s, c, size))
          ),
        ]),
      ),
    ]),
    ...results.settings.sizes.flatMap((size) => [
      `## Round trips per second, ${bytes(size)}`,
      table(
        ["server", ...results.settings.connections.map(count)],
        measured.map((s) => [
          s.label,
          ...results.settings.connections.map((c) =>
            rateCell(results, rowOf(s, c, size))
          ),
        ]),
      ),
    ]),
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
      measured.map((s) => capacityCells(results, s)),
    ),
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
        return row ? [focusCells(results, s, row)] : [];
      }),
    ),
    ...extraSection(results, measured),
    ...openLoopSection(results, measured),
    ...countSection(results),
  ];
  return parts.filter(Boolean).join("\n\n") + "\n";
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

/** How the run measured, in a sentence or two. */
function method(results: BenchResults): string {
  const { rounds, roundMs, warmupMs } = results.settings;
  if (!results.quiet) {
    return `Medians of ${rounds} rounds of ${roundMs} ms, measured one ` +
      `server after another (this file predates interleaved rounds and ` +
      `the quiet check: its ratios pair rounds that ran at different times).`;
  }
  return `Closed loop: ${rounds} rounds; each round measures every server ` +
    `once, on a fresh process that is the only server alive, in an order ` +
    `rotated each round (${warmupMs} ms of warm-up, then ${roundMs} ms ` +
    `timed), so each server's ratio to the reference pairs figures from ` +
    `the same round.`;
}

/** The quiet check's outcome, and the mark of what it flagged. */
function quietLines(results: BenchResults): string[] {
  const quiet = results.quiet;
  if (!quiet) return [];
  const rule = `Every measurement was repeated (up to ${quiet.maxAttempts} ` +
    `attempts) while more than ${quiet.limitCores} core of other work ran ` +
    `beside it (the CPU of every other task on the machine, steal ` +
    `included; bench/README.md, "A quiet machine, checked").`;
  if (quiet.noisy.length === 0) return [`${rule} None stayed noisy.`];
  return [
    `${rule} **${quiet.noisy.length} stayed noisy** and were written as ` +
    `\`--accept-noise\` writes them; their cells are marked "${NOISY}":`,
    quiet.noisy.map((n) =>
      `- ${n.server}, ${n.what}: ${n.otherCores.toFixed(2)} cores of other ` +
      `work (attempts: ${n.attempts})`
    ).join("\n"),
  ];
}

/** Each server's ratio to the reference in each cell of `size`. */
function ratioTable(
  results: BenchResults,
  measured: ServerResult[],
  size: number,
  metric: "cpu" | "rate",
): string {
  return table(
    ["server", ...results.settings.connections.map(count)],
    measured.map((s) => [
      s.label,
      ...results.settings.connections.map((connections) =>
        ratioCell(results, s, rowOf(s, connections, size), metric)
      ),
    ]),
  );
}

/** `server`'s ratio to the reference in `row`'s cell: the median round's,
 * the lowest and highest round's after it. */
function ratioCell(
  results: BenchResults,
  server: ServerResult,
  row: Row | undefined,
  metric: "cpu" | "rate",
): string {
  if (!row || row.status === "not run") return "–";
  if (server.id === results.reference) return "1 (reference)";
  const { connections, size } = row;
  const r = ratio(results, {
    a: server.id,
    b: results.reference!,
    connections,
    size,
    metric,
  });
  if (!r) return row.status === "failed" ? "failed" : "–";
  return `${formatRatio(r.median)} (${formatRatio(r.min)}-` +
    `${formatRatio(r.max)})` + marks(results, row, metric === "rate");
}

/** The cells beyond the grid that chapters asked for (bench/cells.ts), one
 * line per server and cell; none in a run without them. */
function extraSection(
  results: BenchResults,
  measured: ServerResult[],
): string[] {
  const beyond = (r: Row) => !inGrid(results.settings, r);
  const lines = measured
    .flatMap((s) => s.rows.filter(beyond).map((row) => ({ s, row })))
    .sort((x, y) =>
      x.row.size - y.row.size || x.row.connections - y.row.connections
    );
  if (lines.length === 0) return [];
  const reference = measured.find((s) => s.id === results.reference);
  const to = reference?.label ?? "the reference";
  return [
    `## Cells chapters asked for`,
    `Measured for the servers a chapter names in its facts (\`bench.cells\` ` +
    `in its chapter.ts) and the C reference, in interleaved rounds of their ` +
    `own. Medians over the rounds; the ratios as above.`,
    table(
      [
        "server",
        "cell",
        "CPU µs per rt",
        `CPU ratio to ${to}`,
        "rt/s",
        `rt/s ratio to ${to}`,
      ],
      lines.map(({ s, row }) => [
        s.label,
        `${count(row.connections)} × ${bytes(row.size)}`,
        cpuCell(results, row),
        reference ? ratioCell(results, s, row, "cpu") : "–",
        rateCell(results, row),
        reference ? ratioCell(results, s, row, "rate") : "–",
      ]),
    ),
  ];
}

function capacityCells(
  results: BenchResults,
  server: ServerResult,
): string[] {
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
      }` + (noisyCapacity(results, server) ? ` ${NOISY}` : ""),
  ];
}

function focusCells(
  results: BenchResults,
  server: ServerResult,
  row: Row,
): string[] {
  const s = row.summary!;
  const med = (spread: Spread | null, digits: number) =>
    spread ? spread.median.toFixed(digits) : "?";
  return [
    server.label + (row.status === "failed" ? " (failed)" : "") +
    marks(results, row, true),
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
            marks(results, row, true) +
            (row.status === "failed" ? " (failed)" : "");
        }),
      ]),
    ),
  ];
}

const LIMITED = "‡";
const NOISY = "†";

/** A cell's marks: `†` when it stayed noisy, `‡` when limited by the load
 * generator (which says nothing against a CPU figure: `limited` false). */
function marks(results: BenchResults, row: Row, limited: boolean): string {
  return (noisyRow(results, row) ? ` ${NOISY}` : "") +
    (limited && row.summary?.loadgenLimited ? ` ${LIMITED}` : "");
}

function rowOf(server: ServerResult, connections: number, size: number) {
  return server.rows.find((r) =>
    r.connections === connections && r.size === size
  );
}

function rateCell(results: BenchResults, row: Row | undefined): string {
  if (!row || row.status === "not run" || !row.summary) return "–";
  const rate = count(row.summary.roundTripsPerSecond.median) +
    marks(results, row, true);
  return row.status === "failed" ? `${rate} (failed)` : rate;
}

function cpuCell(results: BenchResults, row: Row | undefined): string {
  const cpu = row?.summary?.cpuSecondsPerMillion;
  if (!row || row.status === "not run" || !cpu) return "–";
  // CPU seconds per 10⁶ round trips is µs per round trip.
  const micros = cpu.median.toFixed(1) + marks(results, row, false);
  return row.status === "failed" ? `${micros} (failed)` : micros;
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
