/**
 * What idle connections cost a busy one. Opens `--idle` connections that
 * each echo one byte and then sit quiet, then times `--rounds` round trips of
 * 64 bytes on one more connection, `--gap` ms apart so that each message
 * finds the server asleep, and prints the median and 99th percentile. Point
 * it at any chapter's server to compare how the wait scales.
 *
 * Run: deno task idle-cost [--port P] [--idle N] [--rounds R] [--gap MS]
 *
 * @module
 */
import { fatal, parseCli } from "@echo-lab/shared/cli";

const { address, flags } = parseCli(Deno.args, {
  usage: "deno task idle-cost",
  summary: "Time round trips on one connection while others sit idle.",
  flags: {
    idle: {
      type: "integer",
      description: "idle connections to open first",
      default: 1000,
      min: 0,
      max: 10_000,
    },
    rounds: {
      type: "integer",
      description: "64-byte round trips to time",
      default: 500,
      min: 1,
      max: 100_000,
    },
    gap: {
      type: "integer",
      description: "pause between round trips, ms",
      default: 5,
      min: 0,
      max: 1000,
    },
  },
});

const dial = () => Deno.connect({ hostname: address.host, port: address.port });
const idle: Deno.TcpConn[] = [];
try {
  for (let i = 0; i < flags.idle; i++) {
    const conn = await dial();
    idle.push(conn);
    await roundTrip(conn, new Uint8Array(1)); // proves it was accepted
  }
  const busy = await dial();
  busy.setNoDelay(true);
  const message = new Uint8Array(64).fill(42);
  const micros: number[] = [];
  for (let i = 0; i < flags.rounds; i++) {
    await new Promise((resolve) => setTimeout(resolve, flags.gap));
    const start = performance.now();
    await roundTrip(busy, message);
    micros.push((performance.now() - start) * 1000);
  }
  busy.close();
  micros.sort((a, b) => a - b);
  const at = (q: number) => micros[Math.floor(q * (micros.length - 1))];
  console.log(
    `${flags.idle} idle connections: round trip median ${
      at(0.5).toFixed(0)
    } µs, p99 ${at(0.99).toFixed(0)} µs (${flags.rounds} rounds)`,
  );
} catch (error) {
  fatal(error);
} finally {
  idle.forEach((conn) => conn.close());
}

/** Sends `message` and reads back exactly as many bytes. */
async function roundTrip(conn: Deno.TcpConn, message: Uint8Array) {
  for (let off = 0; off < message.byteLength;) {
    off += await conn.write(message.subarray(off));
  }
  const echo = new Uint8Array(message.byteLength);
  for (let off = 0; off < echo.byteLength;) {
    const n = await conn.read(echo.subarray(off));
    if (n === null) throw new Error("server closed the connection");
    off += n;
  }
}
