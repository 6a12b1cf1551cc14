/**
 * Orchestration: how one server is measured. The capacity probe first, then
 * a fresh server process and a fresh load generator for every (connections,
 * message size) cell; one cell also runs the open-loop rates.
 *
 * @module
 */
import type { RunningServer } from "@echo-lab/harness/process";
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
import { cellUnits, type RunContext, serverUnits } from "./context.ts";
import type { BenchServer } from "./servers.ts";
import type {
  Capacity,
  CapacityStep,
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
      // The open-loop rates run in one cell, after its closed-loop rounds,
      // on the same server and connections.
      const rates = connections === settings.rateConnections &&
          size === settings.sizes[0]
        ? settings.rates
        : [];
      const cell = { connections, size, rates };
      const { row, openLoop } = connections > held
        ? notRunCell(
          cell,
          `the capacity probe held ${held} connection${held === 1 ? "" : "s"}` +
            (failure
              ? ` (beyond: ${failure})`
              : ", all that --max-connections asked for"),
        )
        : await measureCell(ctx, server, cell, tag);
      if (row.status === "not run") {
        progress.advance(
          cellUnits(settings) + rates.length * settings.rounds,
          `${tag}: skipping ${connections}`,
        );
      }
      result.rows.push(row);
      result.openLoop.push(...openLoop);
    }
  }
  progress.advance(Math.max(0, finished - progress.done), tag);
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
/** One (connections, size) cell on a fresh server: closed-loop rounds, then
 * open-loop rounds at each of `rates` up to 80% of the closed loop's rate. */
async function measureCell(
  ctx: RunContext,
  server: BenchServer,
  cell: Cell,
  tag: string,
): Promise<{ row: Row; openLoop: RateRow[] }> {
  const { progress, settings } = ctx;
  const { connections, size, rates } = cell;
  const what = `${tag}: ${connections} conn × ${size} B`;
  progress.show(`${what}, connecting`);
  const { row, openLoop } = notRunCell(cell, null);
  row.status = "ok";
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
      ...(rates.length ? [`--rates=${rates}`] : []),
    ], (event) => {
      if (event.event === "round" || event.event === "rate") {
        const { event: kind, size: _, round, connections: __, ...data } = event;
        const rate = Math.round(data.roundTrips / data.seconds);
        if (event.event === "rate") {
          openLoop.find((r) => r.rate === event.rate)!.rounds.push(data);
        } else row.rounds.push(data);
        step(
          1,
          `${what}, ${kind === "rate" ? `${event.rate} offered, ` : ""}` +
            `round ${round}/${settings.rounds}: ${
              rate.toLocaleString("en")
            } rt/s`,
        );
      } else if (event.event === "connected" && event.echoed < connections) {
        row.reason = `only ${event.echoed} of ${connections} connections ` +
          `echoed: ${describeErrors(event.errors)}`;
      } else if (event.event === "done") row.errors = event.errors;
    });
    if (Object.keys(row.errors).length > 0) {
      row.status = "failed";
      row.reason ??= describeErrors(row.errors);
    }
  } catch (error) {
    row.status = "failed";
    row.reason = messageOf(error);
  }
  progress.advance(
    cellUnits(settings) + rates.length * settings.rounds - units,
    what,
  );
  row.summary = summarize(row.rounds, ctx.loadgenThreads);
  const closed = row.summary?.roundTripsPerSecond.median ?? 0;
  for (const open of openLoop) {
    open.summary = summarize(open.rounds, ctx.loadgenThreads);
    for (const round of open.rounds) {
      for (const [kind, n] of Object.entries(round.errors)) {
        open.errors[kind] = (open.errors[kind] ?? 0) + n;
      }
    }
    if (Object.keys(open.errors).length > 0) {
      open.status = "failed";
      open.reason = describeErrors(open.errors);
    } else if (open.rounds.length > 0) {
      open.status = "ok";
    } else if (row.status === "failed") {
      open.status = "failed";
      open.reason = `the closed-loop cell failed: ${row.reason}`;
    } else {
      open.reason = `above 80% of the closed-loop rate (${
        Math.round(closed).toLocaleString("en")
      } rt/s)`;
    }
  }
  return { row, openLoop };
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

/** One closed-loop cell and the open-loop rates it would run. */
interface Cell {
  connections: number;
  size: number;
  rates: number[];
}

/** A cell's rows before it runs: "not run", for `reason`. */
function notRunCell(
  { connections, size, rates }: Cell,
  reason: string | null,
): { row: Row; openLoop: RateRow[] } {
  const empty = () => ({
    connections,
    size,
    status: "not run" as const,
    reason,
    rounds: [],
    summary: null,
    errors: {},
  });
  return {
    row: empty(),
    openLoop: rates.map((rate) => ({ ...empty(), rate })),
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
