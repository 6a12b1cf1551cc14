import assert from "node:assert/strict";
import {
  countServer,
  parseStraceCounts,
  perRoundTrip,
  sumSocketBytes,
  voluntarySwitches,
} from "./count.ts";
import { countTable } from "./report.ts";
import { findServers } from "./servers.ts";
import { buildLoadgen } from "./gcc.ts";
import { Cleanups, type RunContext } from "./context.ts";
import { Progress } from "./progress.ts";
import { parseOptions } from "./options.ts";
import type { CountRun } from "./results.ts";

// `strace -c -f -o FILE -p PID` as strace 6.1 writes it: errors blank when
// none.
const STRACE = `% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 52.10    0.412000          10     40000           sendto
 40.00    0.316000           7     40000      1200 recvfrom
  7.90    0.062000         155       400           epoll_wait
  0.00    0.000000           0         2         1 futex
------ ----------- ----------- --------- --------- ----------------
100.00    0.790000           9     80402      1201 total
`;

Deno.test("parseStraceCounts reads every call, its count and errors", () => {
  assert.deepEqual(parseStraceCounts(STRACE), [
    { name: "sendto", calls: 40000, errors: 0 },
    { name: "recvfrom", calls: 40000, errors: 1200 },
    { name: "epoll_wait", calls: 400, errors: 0 },
    { name: "futex", calls: 2, errors: 1 },
  ]);
});

Deno.test("perRoundTrip divides, and keeps the three most frequent", () => {
  const { syscallsPerRoundTrip, top } = perRoundTrip(
    parseStraceCounts(STRACE),
    40000,
  );
  assert.equal(syscallsPerRoundTrip, 80402 / 40000);
  assert.deepEqual(top.map((t) => t.name), [
    "sendto",
    "recvfrom",
    "epoll_wait",
  ]);
  assert.equal(top[1].errorsPerRoundTrip, 0.03);
  assert.equal(top[2].perRoundTrip, 0.01);
});

Deno.test("sumSocketBytes adds up ss's bytes received and sent", () => {
  const ss = [
    "0 0 127.0.0.1:7007 127.0.0.1:51000",
    "\t cubic wscale:7,7 bytes_sent:640 bytes_acked:641 bytes_received:640 " +
    "segs_out:12",
    "0 0 127.0.0.1:7007 127.0.0.1:51002",
    "\t cubic bytes_received:64 segs_in:3",
  ].join("\n");
  assert.deepEqual(sumSocketBytes(ss), { received: 704, sent: 640 });
  assert.deepEqual(sumSocketBytes(""), { received: 0, sent: 0 });
});

Deno.test("voluntarySwitches counts a thread going to sleep", async () => {
  // sleep(1) goes to sleep in the kernel at once: one voluntary switch at
  // least by the time we look, none while it has not run.
  const child = new Deno.Command("sleep", { args: ["5"] }).spawn();
  try {
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(voluntarySwitches(child.pid) >= 1);
  } finally {
    child.kill("SIGKILL");
    await child.status;
  }
  assert.equal(voluntarySwitches(child.pid), 0, "a process gone counts 0");
});

Deno.test("countTable puts each server's figures in its row", () => {
  const row = (connections: number, calls: number) => ({
    connections,
    size: 64,
    status: "ok" as const,
    reason: null,
    syscallsPerRoundTrip: calls,
    untracedSyscallsPerRoundTrip: calls * 2,
    top: [{
      name: "io_uring_enter",
      perRoundTrip: calls,
      errorsPerRoundTrip: 0,
    }],
    wakeupsPerRoundTrip: 0.002,
    threads: 5,
    tracedRate: 1000,
    untracedRate: 10000,
  });
  const counts: CountRun = {
    tool: "strace -c -f",
    backgroundCores: 0,
    servers: [
      {
        id: "09-io-uring server",
        label: "09-io-uring",
        date: "2026-12-06T00:00:00Z",
        rows: [row(1, 1.5), row(1000, 0.00712), {
          ...row(100, 0),
          status: "failed",
        }],
      },
      { id: "reference c", label: "C epoll", date: "", rows: [] },
    ],
  };
  const lines = countTable(counts, ["09-io-uring server"]).split("\n");
  assert.equal(lines.length, 3, "header, rule, one server");
  const cells = lines[2].split("|").map((c) => c.trim()).slice(1, -1);
  assert.deepEqual(cells, [
    "09-io-uring",
    "3",
    "failed",
    "0.0142",
    "0.00712: io_uring_enter 0.00712",
    "0.002",
    "failed",
    "0.002",
    "5",
  ]);
});

Deno.test({
  name: "countServer counts the C reference: epoll_wait, recv, send per echo",
  // strace and gcc from the distribution; the C server and load generator
  // are compiled into a temp dir.
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "echo-lab-count-test-" });
    const cleanups = new Cleanups();
    try {
      const notes: string[] = [];
      const [c] = await findServers(["no chapter"], ["c"], dir, notes);
      assert.ok(c, `the C reference builds: ${notes}`);
      const ctx: RunContext = {
        settings: parseOptions([]).settings,
        notes,
        progress: new Progress(1),
        loadgen: await buildLoadgen(dir),
        loadgenThreads: 1,
        attempts: 1,
        noisy: [],
        cleanups,
      };
      // held = 1: only the one-connection cell runs.
      const counts = await countServer(ctx, c, 1);
      const [one, hundred] = counts.rows;
      assert.equal(one.status, "ok", one.reason ?? "");
      assert.equal(hundred.status, "not run");
      // One client, one message in flight: each echo is one epoll_wait,
      // one recv and one send, exactly (round trips are counted, not
      // estimated, so this holds to a few calls in thousands).
      assert.deepEqual(
        one.top.map((t) => t.name).sort(),
        ["epoll_wait", "recvfrom", "sendto"],
      );
      for (const t of one.top) assert.ok(Math.abs(t.perRoundTrip - 1) < 0.01);
      assert.ok(Math.abs(one.syscallsPerRoundTrip! - 3) < 0.02);
      // perf, untraced, counts the same three calls (and a few of the pauses
      // at the window's edges), when perf is here.
      if (one.untracedSyscallsPerRoundTrip !== null) {
        assert.ok(Math.abs(one.untracedSyscallsPerRoundTrip - 3) < 0.05);
      }
      assert.equal(one.threads, 1);
      // It sleeps in epoll_wait between echoes: about one wake-up each.
      assert.ok(
        one.wakeupsPerRoundTrip! > 0.1 && one.wakeupsPerRoundTrip! <= 1.1,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
