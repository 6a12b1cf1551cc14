/**
 * What it costs a busy loop to let Deno's event loop turn (so that a signal
 * listener can run): awaiting a zero-length timer against awaiting
 * `setImmediate` (what chapter 08 does between passes), 2,000 yields each.
 *
 * Run from the repository root:
 *   deno run chapters/04-nonblocking/lab/yield_cost.ts
 * and, to see the event loop's waits, under
 *   strace -f -e trace=epoll_wait -o /tmp/yield.strace deno run ...
 * (yield_cost.txt beside this file is its output on the lab machine.)
 *
 * @module
 */
import { setImmediate } from "node:timers";

const YIELDS = 2_000;
const ways: [string, () => Promise<unknown>][] = [
  ["await a setTimeout(0)", () => new Promise((r) => setTimeout(r, 0))],
  ["await setImmediate", () => new Promise((r) => setImmediate(r))],
];
console.log(`Deno ${Deno.version.deno}, ${YIELDS} yields each`);
for (const [name, yieldOnce] of ways) {
  const started = performance.now();
  for (let i = 0; i < YIELDS; i++) await yieldOnce();
  const perYield = (performance.now() - started) * 1000 / YIELDS;
  console.log(
    `${name.padEnd(24)}${perYield.toFixed(1).padStart(8)} µs per yield`,
  );
}
