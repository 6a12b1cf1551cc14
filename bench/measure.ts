/**
 * Orchestration: the three kinds of measurement a run makes, each on a fresh
 * server process that is the only server alive while it is measured (a
 * busy-polling server never spins beside another's measurement):
 *
 * - the capacity probe of one server, with its idle CPU;
 * - a closed-loop cell (connections × size) for every server at once, in
 *   rounds: each round measures every server once, in an order rotated each
 *   round, so slow drift and background load hit every server alike and any
 *   two servers' figures pair round by round;
 * - the open-loop rates of one server.
 *
 * Every measurement is checked for other work beside it (quiet.ts) and
 * repeated when there was some.
 *
 * @module
 */
import type { RunningServer } from "@echo-lab/harness/process";
import { treeUsage } from "./proc.ts";
import { summarize } from "./stats.ts";
import { describeErrors } from "./progress.ts";
import { startServer } from "./supervise.ts";
import { untilQuiet } from "./quiet.ts";
import {
  commonFlags,
  lastLine,
  type LoadgenEvent,
  runLoadgen,
} from "./protocol.ts";
import { estimate, type RunContext } from "./context.ts";
import type { BenchServer } from "./servers.ts";
import {
  type Capacity,
  type CapacityStep,
  type ErrorCounts,
  otherCoresOf,
  type RateRow,
  type Round,
  type Row,
  type ServerResult,
} from "./results.ts";

/** One closed-loop cell. */
export interface Cell {
  connections: number;
  size: number;
}

/** A server's result before anything is measured. */
export function emptyResult(server: BenchServer): ServerResult {
  return {
    id: server.id,
    label: server.label,
    chapter: server.chapter,
    task: server.task,
    command: server.command,
    date: new Date().toISOString(),
    error: null,
    idle: null,
    capacity: null,
    rows: [],
    openLoop: [],
  };
}

// #region probe
/** The capacity probe, repeated while other work ran beside its idle
 * reading; a probe that fails leaves `result.error`. */
export async function measureCapacity(
  ctx: RunContext,
  server: BenchServer,
  result: ServerResult,
): Promise<void> {
  const tag = `${server.label}: capacity probe`;
  try {
    const { value, attempts } = await untilQuiet(
      ctx,
      server.id,
      "capacity probe",
      () => probe(ctx, server, result, tag),
      (capacity) => capacity.idleOtherCores ?? 0,
    );
    result.capacity = { ...value, attempts };
    ctx.progress.advance(estimate.probe(ctx.settings), `${tag}: done`);
  } catch (error) {
    result.error = messageOf(error);
    ctx.progress.advance(estimate.probe(ctx.settings), `${tag}: failed`);
  }
}

/** Starts the server, reads its idle footprint, then has the load generator
 * open connections in steps until one fails. */
async function probe(
  ctx: RunContext,
  server: BenchServer,
  result: ServerResult,
  tag: string,
): Promise<Capacity> {
  const { progress, settings } = ctx;
  progress.show(`${tag}, starting`);
  await using running = await startServer(ctx, server);
  // Let it finish starting up before we weigh it.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = treeUsage(running.pid);
  if (idle) {
    const { rssBytes, virtualBytes, threads, processes } = idle;
    result.idle = { rssBytes, virtualBytes, threads, processes };
  }
  const steps: CapacityStep[] = [];
  let verdict: Extract<LoadgenEvent, { event: "probe" }> | undefined;
  let said: string | null = null;
  await loadgen(ctx, running, [
    "--phase=probe",
    `--connections=${settings.maxConnections}`,
  ], (event) => {
    if (event.event === "step") {
      const { errors: _, event: __, ...step } = event;
      steps.push(step);
      progress.show(
        `${tag}, ${event.echoed} of ${event.connections} connections echoed`,
      );
    } else if (event.event === "probe") {
      verdict = event;
      // What the server printed as it failed, before the load generator
      // closes the connections (which some servers also talk about).
      said = lastLine(running.stderr());
    }
  });
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
    idleOtherCores: verdict.idleOtherCores,
    attempts: 1,
    rssPerConnectionBytes: full?.rssBytes && result.idle
      ? Math.round((full.rssBytes - result.idle.rssBytes) / full.connections)
      : null,
  };
}
// #endregion

// #region closed-loop
/** One closed-loop cell for every server in `results`, interleaved: round
 * by round, each server once per round on a fresh process, the order
 * rotated each round. Appends each server's row. */
export async function measureCell(
  ctx: RunContext,
  servers: BenchServer[],
  results: ServerResult[],
  cell: Cell,
): Promise<void> {
  const { settings, progress } = ctx;
  const what = `${cell.connections} conn × ${cell.size} B`;
  const rows = results.map((result) => {
    const row = emptyRow(cell, cannotRun(result, cell.connections));
    result.rows.push(row);
    return row;
  });
  const each = estimate.closed(settings, cell.connections);
  for (let round = 0; round < settings.rounds; round++) {
    // Round r starts r servers further down the list.
    for (let k = 0; k < servers.length; k++) {
      const i = (k + round) % servers.length;
      const row = rows[i];
      // A row not run was never counted in the progress (runSeconds).
      if (row.status === "not run") continue;
      if (row.status !== "ok") {
        progress.advance(each, `${what}: ${servers[i].label} skipped`);
        continue;
      }
      const tag = `${what}, round ${round + 1}/${settings.rounds}: ` +
        servers[i].label;
      try {
        const { value, attempts } = await untilQuiet(
          ctx,
          servers[i].id,
          `${what}, round ${round + 1}`,
          () => closedRound(ctx, servers[i], cell, tag),
          (r) => r.otherCores,
        );
        row.rounds.push({ ...value, attempts });
        addErrors(row.errors, value.errors);
        const rate = Math.round(value.roundTrips / value.seconds);
        progress.advance(each, `${tag}: ${rate.toLocaleString("en")} rt/s`);
      } catch (error) {
        row.status = "failed";
        row.reason = messageOf(error);
        progress.advance(each, `${tag}: failed`);
      }
    }
  }
  for (const row of rows) {
    row.summary = summarize(row.rounds, ctx.loadgenThreads);
  }
}

/** One server, one round: a fresh process, connections opened and checked,
 * a warm-up, one timed round, the process stopped. Throws on any failure. */
async function closedRound(
  ctx: RunContext,
  server: BenchServer,
  cell: Cell,
  tag: string,
): Promise<Round> {
  ctx.progress.show(`${tag}, starting`);
  await using running = await startServer(ctx, server);
  let round: Round | undefined;
  let errors: ErrorCounts = {};
  let short: string | null = null;
  await loadgen(ctx, running, [
    "--phase=load",
    "--rounds=1",
    `--connections=${cell.connections}`,
    `--size=${cell.size}`,
  ], (event) => {
    if (event.event === "round") round = roundOf(event);
    else if (event.event === "connected" && event.echoed < cell.connections) {
      short = `only ${event.echoed} of ${cell.connections} connections ` +
        `echoed: ${describeErrors(event.errors)}`;
    } else if (event.event === "done") errors = event.errors;
  });
  if (short) throw new Error(short);
  if (Object.keys(errors).length > 0) throw new Error(describeErrors(errors));
  if (!round) throw new Error("the load generator gave no round");
  return round;
}
// #endregion

// #region open-loop
/** The open-loop rates of one server, on one fresh process: a short closed
 * loop sets the highest rate worth offering (80% of it), then each rate,
 * lowest first, a warm-up and timed rounds. */
export async function measureOpenLoop(
  ctx: RunContext,
  server: BenchServer,
  result: ServerResult,
): Promise<void> {
  const { settings, progress } = ctx;
  const cell = {
    connections: settings.rateConnections,
    size: settings.sizes[0],
  };
  const rows: RateRow[] = settings.rates.map((rate) => ({
    ...emptyRow(cell, cannotRun(result, cell.connections)),
    rate,
  }));
  result.openLoop = rows;
  const tag = `${server.label}: open loop`;
  if (rows[0]?.status === "ok") {
    try {
      const { value, attempts } = await untilQuiet(
        ctx,
        server.id,
        "open loop",
        () => openLoop(ctx, server, cell, tag),
        (rounds) => Math.max(0, ...rounds.map((r) => r.round.otherCores)),
      );
      for (const { rate, round } of value.slice(1)) {
        rows.find((r) => r.rate === rate)!.rounds.push({ ...round, attempts });
      }
      const closed = value[0].round.roundTrips / value[0].round.seconds;
      for (const row of rows) {
        addErrors(row.errors, ...row.rounds.map((r) => r.errors));
        if (Object.keys(row.errors).length > 0) {
          row.status = "failed";
          row.reason = describeErrors(row.errors);
        } else if (row.rounds.length === 0) {
          row.status = "not run";
          row.reason = `above 80% of the closed-loop rate (${
            Math.round(closed).toLocaleString("en")
          } rt/s)`;
        }
        row.summary = summarize(row.rounds, ctx.loadgenThreads);
      }
    } catch (error) {
      for (const row of rows) {
        row.status = "failed";
        row.reason = messageOf(error);
      }
    }
  }
  progress.advance(estimate.openLoop(settings), `${tag}: done`);
}

/** One open-loop measurement: the closed-loop round first (rate 0), then
 * every timed round at each rate run. */
async function openLoop(
  ctx: RunContext,
  server: BenchServer,
  cell: Cell,
  tag: string,
): Promise<{ rate: number; round: Round }[]> {
  const { settings } = ctx;
  ctx.progress.show(`${tag}, starting`);
  await using running = await startServer(ctx, server);
  const rounds: { rate: number; round: Round }[] = [];
  let short: string | null = null;
  await loadgen(ctx, running, [
    "--phase=load",
    "--closed-rounds=1",
    `--rounds=${settings.openLoopRounds}`,
    `--connections=${cell.connections}`,
    `--size=${cell.size}`,
    `--rates=${settings.rates}`,
  ], (event) => {
    if (event.event === "round") {
      rounds.push({ rate: 0, round: roundOf(event) });
    } else if (event.event === "rate") {
      rounds.push({ rate: event.rate, round: roundOf(event) });
      ctx.progress.show(`${tag}, ${event.rate} rt/s offered`);
    } else if (event.event === "connected" && event.echoed < cell.connections) {
      short = `only ${event.echoed} of ${cell.connections} connections ` +
        `echoed: ${describeErrors(event.errors)}`;
    }
  });
  if (short) throw new Error(short);
  if (rounds.length === 0) throw new Error("the load generator gave no round");
  return rounds;
}
// #endregion

/** A round as the results keep it, from the load generator's event. */
function roundOf(
  event: Extract<LoadgenEvent, { event: "round" | "rate" }>,
): Round {
  // The Round fields only: the event's kind, size, index, connections and
  // offered rate are the row's, not the round's.
  const { event: _, size: __, round: ___, connections: ____, ...data } =
    event as Extract<LoadgenEvent, { event: "round" }>;
  const { rate: _rate, ...round } = data as typeof data & { rate?: number };
  return { ...round, otherCores: otherCoresOf(round), attempts: 1 };
}

/** Why `result` cannot run a cell of `connections`, or null when it can. */
function cannotRun(result: ServerResult, connections: number): string | null {
  if (result.error) return `the capacity probe failed: ${result.error}`;
  if (!result.capacity) return null; // not probed (--reproduce)
  const { held, failure } = result.capacity;
  if (connections <= held) return null;
  return `the capacity probe held ${held} connection${held === 1 ? "" : "s"}` +
    (failure
      ? ` (beyond: ${failure})`
      : ", all that --max-connections asked for");
}

/** A row before it runs: `ok` to run, or `not run` for `reason`. */
function emptyRow(cell: Cell, reason: string | null): Row {
  return {
    ...cell,
    status: reason ? "not run" : "ok",
    reason,
    rounds: [],
    summary: null,
    errors: {},
  };
}

function addErrors(into: ErrorCounts, ...more: ErrorCounts[]): void {
  for (const errors of more) {
    for (const [kind, n] of Object.entries(errors)) {
      into[kind] = (into[kind] ?? 0) + n;
    }
  }
}

/** Runs one phase of the load generator against `running`. */
function loadgen(
  ctx: RunContext,
  running: RunningServer,
  args: string[],
  onEvent: (event: LoadgenEvent) => void,
): Promise<void> {
  const { settings } = ctx;
  return runLoadgen(
    [...ctx.loadgen, ...commonFlags(settings, running), ...args],
    onEvent,
    {
      limitMs: 120_000 +
        (settings.rates.length + 2) * settings.openLoopRounds *
          settings.roundMs * 2,
      cleanups: ctx.cleanups,
    },
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
