/**
 * Orchestration: how one server is measured. The capacity probe first, then
 * a fresh server process and a fresh load generator for every (connections,
 * message size) cell.
 *
 * @module
 */
import type { RunningServer } from "../tests/process.ts";
import { treeUsage } from "./proc.ts";
import { summarize } from "./stats.ts";
import { describeErrors } from "./progress.ts";
import { startServer } from "./supervise.ts";
import {
  commonFlags,
  lastLine,
  type LoadgenEvent,
  runLoadgen,
} from "./protocol.ts";
import {
  cellUnits,
  rateUnits,
  type RunContext,
  serverUnits,
} from "./context.ts";
import type { BenchServer } from "./servers.ts";
import type {
  Capacity,
  CapacityStep,
  ErrorCounts,
  RateRow,
  Row,
  ServerResult,
} from "./results.ts";

// #region measure-server
/** The capacity probe, then one fresh server and load generator per cell. */
export async function measureServer(
  ctx: RunContext,
  server: BenchServer,
  position: string,
): Promise<ServerResult> {
  const result: ServerResult = {
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
  const tag = `${position} ${server.label}`;
  const { progress, settings } = ctx;
  const finished = progress.done + serverUnits(settings);
  try {
    result.capacity = await probe(ctx, server, result, tag);
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
        progress.advance(
          cellUnits(settings),
          `${tag}: skipping ${connections}`,
        );
        continue;
      }
      result.rows.push(await measureCell(ctx, server, connections, size, tag));
    }
  }
  result.openLoop = await measureRates(ctx, server, result, tag);
  return result;
}
// #endregion

// #region probe
/** Starts the server, reads its idle footprint, then has the load generator
 * open connections in steps until one fails. */
async function probe(
  ctx: RunContext,
  server: BenchServer,
  result: ServerResult,
  tag: string,
): Promise<Capacity> {
  const { progress, settings } = ctx;
  progress.show(`${tag}: starting`);
  await using running = await startServer(ctx, server);
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
  await loadgen(ctx, running, [
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
  ctx: RunContext,
  server: BenchServer,
  connections: number,
  size: number,
  tag: string,
): Promise<Row> {
  const { progress, settings } = ctx;
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
    await using running = await startServer(ctx, server);
    step(1, `${what}, connecting`);
    await loadgen(ctx, running, [
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
  progress.advance(cellUnits(settings) - units, what);
  row.summary = summarize(row.rounds, ctx.loadgenThreads);
  return row;
}
// #endregion

// #region rates
/** Open loop: each rate of --rates, lowest first, on one fresh server with
 * --rate-connections, skipping rates the server cannot sustain (above 80%
 * of what it managed closed loop with as many connections). */
async function measureRates(
  ctx: RunContext,
  server: BenchServer,
  result: ServerResult,
  tag: string,
): Promise<RateRow[]> {
  const { progress, settings } = ctx;
  const connections = settings.rateConnections;
  const size = settings.sizes[0];
  const what = `${tag}: open loop, ${connections} conn × ${size} B`;
  const rows = settings.rates.map((rate): RateRow => ({
    ...notRun(connections, size, null),
    status: "ok",
    rate,
  }));
  const closed = result.rows.find((r) =>
    r.connections === connections && r.size === size
  )?.summary?.roundTripsPerSecond.median;
  for (const row of rows) {
    if (connections > result.capacity!.held) {
      row.status = "not run";
      row.reason = `the capacity probe held ${result.capacity!.held}`;
    } else if (closed !== undefined && row.rate > 0.8 * closed) {
      row.status = "not run";
      row.reason = `above 80% of the closed-loop rate (${
        Math.round(closed).toLocaleString("en")
      } rt/s)`;
    }
  }
  const offered = rows.filter((r) => r.status === "ok");
  let units = 0;
  const step = (status: string) => (units++, progress.advance(1, status));
  try {
    if (offered.length === 0) return rows;
    await using running = await startServer(ctx, server);
    step(`${what}, connecting`);
    const failures: ErrorCounts = {};
    await loadgen(ctx, running, [
      "--phase=rate",
      `--connections=${connections}`,
      `--size=${size}`,
      `--rates=${offered.map((r) => r.rate)}`,
    ], (event) => {
      if (event.event === "rate") {
        const { event: _, size: __, round, connections: ___, rate, ...data } =
          event;
        const row = offered.find((r) => r.rate === rate)!;
        row.rounds.push(data);
        for (const [kind, n] of Object.entries(data.errors)) {
          row.errors[kind] = (row.errors[kind] ?? 0) + n;
        }
        step(
          `${what}, ${rate.toLocaleString("en")} rt/s offered, round ${round}`,
        );
      } else if (event.event === "connected" && event.echoed < connections) {
        Object.assign(failures, event.errors);
      }
    });
    for (const row of offered) {
      if (Object.keys(failures).length) row.errors = failures;
      if (Object.keys(row.errors).length || row.rounds.length === 0) {
        row.status = "failed";
        row.reason = describeErrors(row.errors);
      }
    }
  } catch (error) {
    for (const row of offered) {
      row.status = "failed";
      row.reason = messageOf(error);
    }
  } finally {
    progress.advance(rateUnits(settings) - units, what);
  }
  for (const row of rows) {
    row.summary = summarize(row.rounds, ctx.loadgenThreads);
  }
  return rows;
}
// #endregion

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
      limitMs: 120_000 + settings.rounds * settings.roundMs * 2,
      cleanups: ctx.cleanups,
    },
  );
}

function notRun(
  connections: number,
  size: number,
  reason: string | null,
): Row {
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

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
