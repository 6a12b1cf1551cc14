/**
 * How long the io_uring server takes to stop on SIGTERM with work in flight:
 * one client idle, one in the middle of sending 8 MiB that it never reads
 * back (so the server's send is stuck on a full socket). Five runs, each on a
 * fresh server started the way the conformance suite starts it.
 *
 * Run from the repository root:
 *   deno run --allow-all chapters/09-io-uring/lab/stop_time.ts
 * (stop_time.txt beside this file is its output on the lab machine.)
 *
 * @module
 */
import { chapterNamed } from "@echo-lab/harness/chapters";
import { describeMachine, machineLine } from "@echo-lab/harness/machine";
import { startServer } from "@echo-lab/harness/process";

const RUNS = 5, PAYLOAD = 8 * 1024 * 1024;
const chapter = chapterNamed("09-io-uring");

console.log(
  `# ${machineLine(await describeMachine(), new Date().toISOString())}`,
);
console.log(`# load: ${Deno.readTextFileSync("/proc/loadavg").trim()}`);
console.log(
  "# command: deno run --allow-all chapters/09-io-uring/lab/stop_time.ts",
);
for (let run = 1; run <= RUNS; run++) {
  const server = await startServer(chapter);
  const idle = await Deno.connect({ port: server.port });
  const sender = await Deno.connect({ port: server.port });
  // The write never completes (nobody reads the echo), so it is not awaited.
  const writing = sender.write(new Uint8Array(PAYLOAD)).catch(() => 0);
  await new Promise((ready) => setTimeout(ready, 500));
  const started = performance.now();
  const code = await server.stop("SIGTERM");
  const ms = performance.now() - started;
  console.log(`run ${run}: exit ${code} after ${ms.toFixed(1)} ms`);
  idle.close();
  sender.close();
  await writing;
}
