/**
 * The bench's own tests, so it cannot silently rot: a `--quick` run against
 * chapter 07 and the C reference completes and writes well-formed results,
 * summary tables and charts (into a temp dir, never bench/results); and a
 * run made beside a busy loop is refused.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parseResults } from "./results.ts";

/** Runs bench.ts with `args`; returns its exit code and stderr. */
async function bench(...args: string[]) {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-all",
      join(import.meta.dirname!, "bench.ts"),
      ...args,
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, log: new TextDecoder().decode(stderr) };
}

Deno.test("deno task bench --quick measures 07-async and the C reference", async () => {
  const out = await Deno.makeTempDir({ prefix: "echo-lab-bench-test-" });
  try {
    // The machine running the tests is seldom quiet: the quiet check has its
    // own test below.
    const { code, log } = await bench(
      "--quick",
      "--rounds=2",
      "--chapters=07-async",
      "--references=c",
      "--attempts=1",
      "--accept-noise",
      `--out=${out}`,
    );
    assert.equal(code, 0, log);

    const results = parseResults(
      await Deno.readTextFile(join(out, "latest.json")),
    );
    assert.equal(results.schema, 3);
    assert.equal(results.reference, "reference c");
    assert.equal(results.quiet!.limitCores, 0.1);
    assert.deepEqual(results.loadgen, { name: "c", threads: 1 });
    assert.equal(results.machine.deno, Deno.version.deno);
    assert(results.machine.cores >= 1 && results.machine.cpu.length > 0);
    assert.deepEqual(results.settings.connections, [1, 10]);
    assert.deepEqual(
      results.servers.map((s) => s.id),
      ["07-async server", "reference c"],
      `servers measured (notes: ${results.notes})`,
    );
    for (const server of results.servers) {
      assert.equal(server.error, null, server.id);
      assert.equal(server.capacity!.held, 100, `${server.id} held`);
      assert(server.idle!.rssBytes > 0 && server.idle!.threads >= 1);
      assert.equal(server.capacity!.idleConnections, 100);
      assert(server.capacity!.idleCores! < 0.5, "an epoll server idles");
      assert.deepEqual(
        server.rows.map((r) => [r.connections, r.size, r.status]),
        [[1, 64, "ok"], [10, 64, "ok"]],
        `${server.id}: ${server.rows.map((r) => r.reason)}`,
      );
      for (const row of server.rows) {
        assert.deepEqual(row.errors, {});
        // Every server in every round: the rounds pair.
        assert.equal(row.rounds.length, 2);
        for (const round of row.rounds) {
          assert.equal(round.attempts, 1);
          assert(Number.isFinite(round.otherCores));
        }
        const summary = row.summary!;
        assert(summary.roundTripsPerSecond.median > 100, "round trips/s");
        assert(summary.megabytesPerSecond.median > 0);
        assert(summary.p50Us.median > 0);
        assert(summary.p50Us.median <= summary.p999Us.median);
        assert(summary.cpuSecondsPerMillion!.median >= 0);
        assert(summary.loadgenCores.median > 0, "the load generator's CPU");
      }
      // One open-loop rate, run or skipped with a reason.
      assert.equal(server.openLoop.length, 1);
      const [open] = server.openLoop;
      assert.equal(open.rate, 2000);
      assert(open.status !== "failed", `${server.id}: ${open.reason}`);
      if (open.status === "ok") {
        const rate = open.summary!.roundTripsPerSecond.median;
        assert(rate > 1500 && rate < 2500, `${server.id}: ${rate} rt/s`);
      } else assert.match(open.reason!, /closed-loop rate/);
    }
    // Interleaved: round 2 ran in the other order, so the two servers'
    // measurements alternate in the log.
    const order = [...log.matchAll(/10 conn × 64 B, round (\d)\/2: ([^:]+): /g)]
      .map((m) => `${m[1]} ${m[2]}`);
    assert.deepEqual(order, [
      "1 07-async",
      "1 C epoll",
      "2 C epoll",
      "2 07-async",
    ]);
    const summary = await Deno.readTextFile(join(out, "summary.md"));
    assert.match(summary, /^# Benchmark summary\n/);
    assert.match(summary, /\| 07-async +\| /, "a row per server");
    assert.match(summary, /\| 07-async +\| +\d\.\d\d \(\d\.\d\d-\d\.\d\d\)/);
    for (
      const chart of [
        "throughput-64",
        "latency",
        "cpu",
        "memory",
        "chapter-07-async",
      ]
    ) {
      const svg = await Deno.readTextFile(join(out, `${chart}.svg`));
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      assert.match(svg, /AMD|Intel|x86_64|aarch64|\d+ cores/, "machine named");
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("the cells a chapter states in its facts are measured for its named servers and C", async () => {
  const out = await Deno.makeTempDir({ prefix: "echo-lab-bench-test-" });
  try {
    // 09-io-uring's chapter.ts asks for 64 KiB at 1 and 100 connections,
    // for server:modern and server:zc only.
    const { code, log } = await bench(
      "--quick",
      "--chapters=09-io-uring",
      "--references=c",
      "--connections=1",
      "--rates=none",
      "--attempts=1",
      `--out=${out}`,
    );
    assert.equal(code, 0, log);
    const results = parseResults(
      await Deno.readTextFile(join(out, "latest.json")),
    );
    const cells = (id: string) =>
      results.servers.find((s) => s.id === id)!.rows.map((r) =>
        `${r.connections}x${r.size} ${r.status}`
      );
    for (const id of ["09-io-uring server:modern", "09-io-uring server:zc"]) {
      assert.deepEqual(cells(id), ["1x64 ok", "1x65536 ok", "100x65536 ok"]);
    }
    assert.deepEqual(cells("reference c"), [
      "1x64 ok",
      "1x65536 ok",
      "100x65536 ok",
    ]);
    for (const id of ["09-io-uring server", "09-io-uring server:sqpoll"]) {
      assert.deepEqual(cells(id), ["1x64 ok"]);
    }
    for (const server of results.servers) {
      for (const row of server.rows) {
        assert(row.summary!.roundTripsPerSecond.median > 0, server.id);
      }
    }
    const summary = await Deno.readTextFile(join(out, "summary.md"));
    assert.match(
      summary,
      /## Cells chapters asked for[^#]*\| 09-io-uring:zc +\| 100 × 64 KiB +\| +\d/,
    );
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("a run beside a busy loop writes nothing and names the noisy cells", async () => {
  const out = await Deno.makeTempDir({ prefix: "echo-lab-bench-test-" });
  // A whole core of other work, the whole run long.
  const spinner = new Deno.Command("sh", {
    args: ["-c", "while :; do :; done"],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const { code, log } = await bench(
      "--references=none",
      "--chapters=07-async",
      "--connections=1",
      "--rounds=1",
      "--round-ms=300",
      "--warmup-ms=100",
      "--max-connections=10",
      "--rates=none",
      "--attempts=2",
      `--out=${join(out, "results")}`,
    );
    assert.equal(code, 1, log);
    for (const server of ["07-async server", "reference c"]) {
      assert.match(
        log,
        new RegExp(
          `  ${server}, 1 conn × 64 B, round 1: \\d\\.\\d\\d cores of other ` +
            `work \\(2 attempts\\)`,
        ),
      );
    }
    const kept = log.match(/kept for a look in (\S+)\)/)?.[1];
    assert(kept, log);
    assert.deepEqual([...Deno.readDirSync(out)], [], "nothing written");
    // Looked at and accepted: written as --accept-noise writes, marked.
    const accepted = await bench(
      "--accept-noise",
      `--from=${kept}`,
      `--out=${join(out, "accepted")}`,
    );
    await Deno.remove(kept);
    assert.equal(accepted.code, 0, accepted.log);
    const run = parseResults(
      await Deno.readTextFile(join(out, "accepted", "latest.json")),
    );
    const noisy = run.quiet!.noisy.length;
    assert(noisy >= 2, `${noisy} noisy measurements`);
    assert.match(
      run.notes.at(-1)!,
      new RegExp(`--accept-noise --from: ${noisy} measurement`),
    );
  } finally {
    spinner.kill("SIGKILL");
    await spinner.status;
    await Deno.remove(out, { recursive: true });
  }
});
