/**
 * What one round of the server's loop costs with N idle sockets, split into
 * its three steps: building the list (JavaScript), the select(2) or poll(2)
 * call itself (the kernel), and scanning the answer (JavaScript). It opens N
 * loopback connections, watches the accepted ends for reading, as the server
 * does, and times `--calls` rounds with a timeout of 0, so nothing sleeps.
 * A lower bound: with a zero timeout the kernel also skips putting the thread
 * on every socket's wait queue (fs/select.c), work a sleeping call does.
 *
 * Run: deno task call-cost [--sockets N] [--calls C]
 *
 * @module
 */
import { fatal, parseCli } from "@echo-lab/shared/cli";
import { SOCK_CLOEXEC, SOCK_NONBLOCK } from "@echo-lab/shared/constants";
import { raiseNoFileLimit } from "@echo-lab/shared/rlimit";
import {
  accept4,
  close,
  connect,
  openListener,
  socket,
} from "@echo-lab/shared/socket";
import {
  PollReadiness,
  READ,
  type Readiness,
  SelectReadiness,
} from "../readiness.ts";

const { flags } = parseCli(Deno.args, {
  usage: "deno task call-cost",
  summary: "Time one select/poll round over N idle sockets.",
  flags: {
    sockets: {
      type: "integer",
      description: "idle connections to watch",
      default: 400,
      min: 1,
      max: 50_000,
    },
    calls: {
      type: "integer",
      description: "rounds to time",
      default: 200,
      min: 1,
      max: 100_000,
    },
  },
});

// Two descriptors per connection (both ends live in this process), plus the
// runtime's own few dozen.
const limit = raiseNoFileLimit();
if (2 * flags.sockets + 100 > limit) {
  fatal(`--sockets ${flags.sockets} needs more descriptors than ${limit}`);
}
const NONBLOCKING = SOCK_NONBLOCK | SOCK_CLOEXEC;
const listener = openListener(
  { family: "ipv4", host: "127.0.0.1", port: 0 },
  { flags: NONBLOCKING },
);
const watched: number[] = [], others: number[] = [];
for (let i = 0; i < flags.sockets; i++) {
  const client = socket("ipv4", NONBLOCKING);
  while (!connect(client, listener.address)) { /* loopback: microseconds */ }
  let fd: number | null;
  while ((fd = accept4(listener.fd, NONBLOCKING)) === null) { /* queued */ }
  others.push(client);
  watched.push(fd);
}

console.log(
  `${flags.sockets} idle sockets, ${flags.calls} rounds, mean per round:`,
);
for (
  const [name, readiness] of [
    ["select", new SelectReadiness()],
    ["poll", new PollReadiness()],
  ] as [string, Readiness][]
) {
  const highest = Math.max(...watched);
  if (highest >= readiness.limit) {
    console.log(`${name.padEnd(7)}cannot: fd ${highest} is beyond its limit`);
    continue;
  }
  timeRounds(readiness); // once untimed, so the JIT has compiled the loop
  const { build, call, scan } = timeRounds(readiness);
  const micros = (ms: number) =>
    `${(ms * 1000 / flags.calls).toFixed(0).padStart(6)} µs`;
  console.log(
    `${name.padEnd(7)}build ${micros(build)}   ${name}() ${
      micros(call)
    }   scan ${micros(scan)}`,
  );
}
[...watched, ...others, listener.fd].forEach(close);

/** Milliseconds spent in each step over `--calls` rounds. */
function timeRounds(readiness: Readiness) {
  const tickets = new Array<number>(watched.length);
  let build = 0, call = 0, scan = 0, ready = 0;
  for (let round = 0; round < flags.calls; round++) {
    const t0 = performance.now();
    readiness.clear();
    for (let i = 0; i < watched.length; i++) {
      tickets[i] = readiness.watch(watched[i], READ);
    }
    const t1 = performance.now();
    readiness.wait(0);
    const t2 = performance.now();
    for (let i = 0; i < tickets.length; i++) {
      if (readiness.ready(tickets[i]) !== 0) ready++;
    }
    const t3 = performance.now();
    build += t1 - t0;
    call += t2 - t1;
    scan += t3 - t2;
  }
  if (ready > 0) throw new Error(`${ready} idle sockets reported ready`);
  return { build, call, scan };
}
