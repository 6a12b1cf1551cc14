/**
 * The load generator counts what goes wrong instead of hiding it: wrong
 * bytes, connections the server closes, connections it refuses; and an
 * open-loop run sends at the rate it was given. It is driven through the
 * same parent side of the protocol as the bench (protocol.ts).
 */
import assert from "node:assert/strict";
import { buildLoadgen } from "./gcc.ts";
import { type LoadgenEvent, runLoadgen } from "./protocol.ts";

const binDir = await Deno.makeTempDir({ prefix: "echo-lab-loadgen-test-" });
const LOADGEN = await buildLoadgen(binDir, 2);
// The compiled binary is removed when the last test is done.
addEventListener("unload", () => Deno.removeSync(binDir, { recursive: true }));

/** Runs the load generator against `port`; returns its events. */
async function loadgen(port: number, ...args: string[]) {
  const events: LoadgenEvent[] = [];
  await runLoadgen(
    [
      ...LOADGEN,
      `--port=${port}`,
      "--connections=3",
      "--size=64",
      "--rounds=1",
      "--round-ms=100",
      "--warmup-ms=0",
      "--timeout-ms=1000",
      ...args,
    ],
    (event) => events.push(event),
    { limitMs: 30_000 },
  );
  return events;
}

/** A server that answers each read with `reply(bytes)`, or closes on null. */
async function withServer(
  reply: (bytes: Uint8Array) => Uint8Array | null,
  body: (port: number) => Promise<void>,
) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const serving = (async () => {
    const tasks = [];
    for await (const conn of listener) {
      conns.add(conn);
      tasks.push((async () => {
        const buffer = new Uint8Array(4096);
        try {
          for (let n; (n = await conn.read(buffer)) !== null;) {
            const answer = reply(buffer.slice(0, n));
            if (!answer) break;
            await conn.write(answer);
          }
        } catch { /* the load generator went away */ }
        conn.close();
        conns.delete(conn);
      })());
    }
    await Promise.all(tasks);
  })();
  try {
    await body(listener.addr.port);
  } finally {
    listener.close();
    for (const conn of conns) conn.close();
    await serving;
  }
}

function done(events: LoadgenEvent[]) {
  const last = events.at(-1)!;
  assert.equal(last.event, "done");
  return last.errors;
}

Deno.test("loadgen: a corrupted echo counts as wrong bytes", async () => {
  await withServer((bytes) => {
    bytes[bytes.length - 1] ^= 1;
    return bytes;
  }, async (port) => {
    const events = await loadgen(port);
    assert.equal(events.find((e) => e.event === "round"), undefined);
    assert.deepEqual(done(events), { "wrong bytes echoed": 3 });
  });
});

Deno.test("loadgen: a server that closes is counted", async () => {
  await withServer(() => null, async (port) => {
    assert.deepEqual(done(await loadgen(port)), { "closed by server": 3 });
  });
});

Deno.test("loadgen: a refused connection is counted", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close(); // nothing listens there now
  assert.deepEqual(done(await loadgen(port)), { "connect (ECONNREFUSED)": 3 });
});

Deno.test("loadgen: a correct echo passes with latencies", async () => {
  await withServer((bytes) => bytes, async (port) => {
    const events = await loadgen(port);
    const round = events.find((e) => e.event === "round");
    assert(round && round.roundTrips > 10, "round trips");
    assert(round.p50Us > 0 && round.p50Us <= round.p999Us);
    assert(round.loadgenCpuSeconds >= 0 && round.machineCpuSeconds >= 0);
    assert.deepEqual(done(events), {});
  });
});

Deno.test("loadgen: open loop sends at the offered rate", async () => {
  await withServer((bytes) => bytes, async (port) => {
    const events = await loadgen(
      port,
      "--phase=load",
      "--rates=200,1000",
      "--round-ms=500",
    );
    // Closed loop first (a local echo server does far more than 1,000/s).
    assert.equal(events.filter((e) => e.event === "round").length, 1);
    const rates = events.filter((e) => e.event === "rate");
    assert.deepEqual(rates.map((e) => e.rate), [200, 1000]);
    for (const e of rates) {
      // A schedule, not a closed loop: about rate × seconds round trips.
      const expected = e.rate * 0.5;
      assert(
        Math.abs(e.roundTrips - expected) <= expected * 0.2 + 3,
        `${e.roundTrips} round trips at ${e.rate}/s`,
      );
    }
    assert.deepEqual(done(events), {});
  });
});
