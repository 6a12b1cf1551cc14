/**
 * What one Worker really costs. Starts N idle Workers (the server's own
 * worker.ts, which loads libc through FFI and then waits for a connection),
 * one after another, and compares the process before and after: resident
 * memory, reserved address space, threads, descriptors, CPU time, and how
 * long each took from `new Worker` to its "ready" message.
 *
 * Run: deno task worker-cost [N]   (N defaults to 100)
 *
 * It reads /proc/self, which Deno grants only with --allow-all.
 *
 * @module
 */

const count = Number(Deno.args[0] ?? 100);
if (!Number.isInteger(count) || count < 1 || count > 10_000) {
  console.error(`error: expected a number of Workers, 1-10000`);
  Deno.exit(2);
}

// #region measure
interface Usage {
  rssKiB: number;
  vszKiB: number;
  threads: number;
  fds: number;
  mappings: number;
  cpuMs: number;
}

function usage(): Usage {
  const status = Deno.readTextFileSync("/proc/self/status");
  const field = (name: string) =>
    Number(status.match(new RegExp(`^${name}:\\s+(\\d+)`, "m"))![1]);
  const stat = Deno.readTextFileSync("/proc/self/stat");
  const times = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return {
    rssKiB: field("VmRSS"),
    vszKiB: field("VmSize"),
    threads: field("Threads"),
    fds: [...Deno.readDirSync("/proc/self/fd")].length,
    mappings: Deno.readTextFileSync("/proc/self/maps").split("\n").length - 1,
    // utime + stime, in clock ticks of 1/100 s
    cpuMs: (Number(times[11]) + Number(times[12])) * 10,
  };
}

/** Starts one Worker and resolves when it says "ready". */
async function start(): Promise<Worker> {
  const worker = new Worker(new URL("../worker.ts", import.meta.url), {
    type: "module",
  });
  await new Promise((ready) =>
    worker.addEventListener("message", ready, { once: true })
  );
  return worker;
}

/** Asks a Worker to exit and waits until it has. */
function stop(worker: Worker): Promise<unknown> {
  const exited = new Promise((done) =>
    worker.addEventListener("message", done, { once: true })
  );
  worker.postMessage("exit");
  return exited;
}

// One Worker first, so that what Deno sets up once (caches it opens on
// first use) is not charged to the N that follow.
await stop(await start());
const before = usage();
const workers: Worker[] = [];
const startMs: number[] = [];
for (let i = 0; i < count; i++) {
  const t0 = performance.now();
  workers.push(await start());
  startMs.push(performance.now() - t0);
}
const after = usage();
await Promise.all(workers.map(stop));
// #endregion

// #region report
const each = (key: keyof Usage) => (after[key] - before[key]) / count;
const sorted = startMs.toSorted((a, b) => a - b);
const percentile = (p: number) => sorted[Math.floor(p * (count - 1))];
// /proc reports kB that are KiB (1024 bytes): print MiB, GiB, TiB
const rss = each("rssKiB") / 1024, vsz = each("vszKiB") / 1024;
const threads = each("threads"), fds = each("fds"), cpu = each("cpuMs");
const mappings = each("mappings");
console.log(`${count} idle Workers, Deno ${Deno.version.deno}. One Worker:\n`);
const line = (what: string, one: string, tenThousand = "") =>
  console.log(what.padEnd(24) + one.padEnd(28) + tenThousand);
line("", "each", "x 10,000");
line(
  "resident memory (RSS)",
  `${rss.toFixed(1)} MiB`,
  `${(rss * 10_000 / 1024).toFixed(0)} GiB`,
);
line(
  "address space (VSZ)",
  `${vsz.toFixed(0)} MiB`,
  `${(vsz * 10_000 / 1024 / 1024).toFixed(1)} TiB`,
);
const count10k = (n: number) => Math.round(n * 10_000).toLocaleString("en");
line("threads", threads.toFixed(2), count10k(threads));
line("descriptors", fds.toFixed(2), count10k(fds));
line("memory mappings", mappings.toFixed(2), count10k(mappings));
line("CPU time to start", `${cpu.toFixed(1)} ms`, `${(cpu * 10).toFixed(0)} s`);
line(
  "new Worker() to ready",
  `median ${percentile(0.5).toFixed(0)} ms, p90 ${
    percentile(0.9).toFixed(0)
  } ms`,
);
// #endregion
