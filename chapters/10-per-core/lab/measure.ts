/**
 * The chapter's figures, measured: how the accepts and the CPU spread
 * across the loops, how many times the loops wake per connection with and
 * without EPOLLEXCLUSIVE, and the throughput of 1 loop against 2.
 *
 * - Spread and herd: for each way of sharing out connections (SO_REUSEPORT
 *   listeners; one shared listener with EPOLLEXCLUSIVE; one without), start
 *   the server with 2 loops and `--stats`, make `--connections` connections
 *   one after another (connect, echo a few bytes, close; a last run keeps 50
 *   in flight at a time), and read each loop thread's CPU time and voluntary
 *   context switches from /proc/PID/task/TID, and its accepts from the
 *   server's exit report.
 * - Throughput: the bench's load generator (bench/loadgen/loadgen.c, built
 *   with gcc; closed-loop ping-pong) against `--loops 1` and `--loops 2`.
 *
 * Writes lab/results/measure.json and the figure drawn from it,
 * lab/results/accept_spread.svg, and prints a summary.
 *
 * Run: deno task measure [--connections N] [--load-connections N]
 *
 * @module
 */
import { join } from "node:path";
import { parseCli } from "@echo-lab/shared/cli";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { type RunningServer, startServer } from "@echo-lab/harness/process";
import { expectEcho, sleep } from "@echo-lab/harness/net";
import { writeSpreadChart } from "./spread_chart.ts";

const { flags } = parseCli(Deno.args, {
  usage: "deno task measure",
  summary: "Accept spread, CPU per loop, the herd, throughput 1 vs 2 loops.",
  flags: {
    connections: {
      type: "integer",
      description: "connections per spread run, made one at a time",
      default: 10_000,
      min: 10,
      max: 100_000,
    },
    "load-connections": {
      type: "integer",
      description: "concurrent connections in the throughput runs",
      default: 100,
      min: 1,
      max: 10_000,
    },
    rounds: {
      type: "integer",
      description: "timed rounds per throughput run",
      default: 5,
      min: 1,
      max: 100,
    },
  },
});

const chapter = chapterNamed("10-per-core");
const HERE = import.meta.dirname!;

/** Connections come one at a time (`concurrency` 1), so that every loop is
 * asleep when each arrives, except in the last run, which keeps 50 in flight
 * to show how EPOLLEXCLUSIVE spreads them when the loops are busy. */
const SPREAD_RUNS = [
  { name: "reuseport", task: "server", args: [], concurrency: 1 },
  {
    name: "shared, EPOLLEXCLUSIVE",
    task: "server:shared",
    args: [],
    concurrency: 1,
  },
  {
    name: "shared, no EPOLLEXCLUSIVE",
    task: "server:shared",
    args: ["--no-exclusive"],
    concurrency: 1,
  },
  {
    name: "shared, EPOLLEXCLUSIVE, 50 at a time",
    task: "server:shared",
    args: [],
    concurrency: 50,
  },
];

const machine = await describeMachine();
const date = new Date().toISOString();
console.log(machineLine(machine, date));
// Other programs' load bends every figure here: the results keep it.
const loadAverageBefore = Deno.readTextFileSync("/proc/loadavg").trim();
console.log(`load average before: ${loadAverageBefore}`);

const spread = [];
for (const run of SPREAD_RUNS) {
  spread.push(await measureSpread(run));
  console.log(JSON.stringify(spread.at(-1)));
}
// The bench's load generator, in C, built with gcc. (A chapter imports no
// code outside its folder and shared/: we run the bench's program instead.)
const tempDir = await Deno.makeTempDir({ prefix: "measure-10-" });
const loadgen = await buildLoadgen(tempDir);
const throughput = [];
for (const loops of [1, 2]) {
  throughput.push(await measureThroughput(loops));
  console.log(JSON.stringify(throughput.at(-1)));
}

const results = {
  machine,
  date,
  command: `deno task measure ${Deno.args.join(" ")}`.trim(),
  loadAverageBefore,
  loadAverageAfter: Deno.readTextFileSync("/proc/loadavg").trim(),
  spread,
  throughput,
};
await Deno.remove(tempDir, { recursive: true });
await Deno.mkdir(join(HERE, "results"), { recursive: true });
await Deno.writeTextFile(
  join(HERE, "results/measure.json"),
  JSON.stringify(results, null, 1) + "\n",
);
console.log(`wrote lab/results/measure.json and ${writeSpreadChart(HERE)}`);

/** One spread run: 2 loops, `--connections` connections, `concurrency` of
 * them in flight at a time. */
async function measureSpread(
  { name, task, args, concurrency }: (typeof SPREAD_RUNS)[number],
) {
  const server = await startServer(chapter, task, [
    "--loops",
    "2",
    "--stats",
    ...args,
  ]);
  try {
    const tids = [...server.stderr().matchAll(/^loop \d+: thread (\d+)$/gm)]
      .map((m) => Number(m[1]));
    const before = tids.map((tid) => threadUsage(server.pid, tid));
    const started = performance.now();
    let next = 0;
    const client = async () => {
      while (next < flags.connections) {
        await expectEcho(server.port, `connection ${next++}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, client));
    const seconds = (performance.now() - started) / 1_000;
    await sleep(200);
    const after = tids.map((tid) => threadUsage(server.pid, tid));
    const reports = await stopAndReport(server);
    return {
      name,
      command: `deno task ${task} --loops 2 --stats ${args.join(" ")}`.trim(),
      connections: flags.connections,
      concurrency,
      seconds,
      loops: reports.map((report, i) => ({
        ...report,
        cpuSeconds: after[i].cpuSeconds - before[i].cpuSeconds,
        wakeupsPerConnection: (after[i].wakeups - before[i].wakeups) /
          flags.connections,
      })),
    };
  } finally {
    await server[Symbol.asyncDispose]();
  }
}

/** Closed-loop ping-pong against `--loops N`: round trips per second and
 * server CPU seconds per round trip, one entry per timed round. */
async function measureThroughput(loops: number) {
  const server = await startServer(chapter, "server", [
    "--loops",
    String(loops),
  ]);
  try {
    const args = [
      `--port=${server.port}`,
      `--server-pid=${server.pid}`,
      "--phase=load",
      `--connections=${flags["load-connections"]}`,
      "--size=64",
      `--rounds=${flags.rounds}`,
      "--round-ms=2000",
    ];
    const { stdout, success } = await new Deno.Command(loadgen, {
      args,
      stdout: "piped",
      stderr: "inherit",
    }).output();
    if (!success) throw new Error("the load generator failed");
    // One JSON event per line; a "round" carries a timed round's figures.
    const rounds = new TextDecoder().decode(stdout).split("\n")
      .filter((line) => line)
      .map((line) => JSON.parse(line) as Round)
      .filter((event) => event.event === "round");
    return {
      loops,
      command: `bench/loadgen/loadgen.c ${args.join(" ")}` +
        ` (against deno task server --loops ${loops})`,
      roundTripsPerSecond: rounds.map((r) => r.roundTrips / r.seconds),
      serverCpuMicrosPerRoundTrip: rounds.map((r) =>
        (r.serverCpuSeconds ?? NaN) / r.roundTrips * 1e6
      ),
      loadgenCpuShare: rounds.map((r) => r.loadgenCpuSeconds / r.seconds),
      machineCpuShare: rounds.map((r) => r.machineCpuSeconds / r.seconds),
    };
  } finally {
    await server[Symbol.asyncDispose]();
  }
}

/** The fields of the load generator's "round" events that we keep. */
interface Round {
  event: string;
  roundTrips: number;
  seconds: number;
  serverCpuSeconds: number | null;
  loadgenCpuSeconds: number;
  machineCpuSeconds: number;
}

/** Compiles bench/loadgen/loadgen.c with `gcc -O2` into `dir`; returns the
 * program's path. */
async function buildLoadgen(dir: string): Promise<string> {
  const source = join(HERE, "../../../bench/loadgen/loadgen.c");
  const binary = join(dir, "loadgen");
  const { success, stderr } = await new Deno.Command("gcc", {
    args: ["-O2", "-pthread", "-o", binary, source],
    stderr: "piped",
  }).output();
  if (!success) {
    throw new Error(`gcc: ${new TextDecoder().decode(stderr).trim()}`);
  }
  return binary;
}

/** CPU seconds and voluntary context switches (each one a sleep and a
 * wake-up) of thread `tid` of `pid`. */
function threadUsage(pid: number, tid: number) {
  const task = `/proc/${pid}/task/${tid}`;
  const stat = Deno.readTextFileSync(`${task}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const status = Deno.readTextFileSync(`${task}/status`);
  return {
    cpuSeconds: (Number(fields[11]) + Number(fields[12])) / 100,
    wakeups: Number(status.match(/^voluntary_ctxt_switches:\s+(\d+)/m)![1]),
  };
}

/** SIGTERM, then the counters each loop printed at exit. */
async function stopAndReport(server: RunningServer) {
  const code = await server.stop("SIGTERM");
  if (code !== 0) throw new Error(`server exited ${code}: ${server.stderr()}`);
  return [
    ...server.stderr().matchAll(
      /^loop (\d+): accepted (\d+), listener wake-ups (\d+), empty \(EAGAIN\) (\d+)$/gm,
    ),
  ].map((m) => ({
    loop: Number(m[1]),
    accepted: Number(m[2]),
    listenerWakeups: Number(m[3]),
    emptyWakeups: Number(m[4]),
  }));
}
