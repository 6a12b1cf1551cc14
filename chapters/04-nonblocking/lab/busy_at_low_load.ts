/**
 * Busy polling below full load: the server's CPU while one client sends
 * 64-byte messages at a fixed rate (open loop: the client paces itself by the
 * clock, not by the echoes), for 04-nonblocking against 06-epoll. The
 * closed-loop bench keeps every server saturated and so cannot show this.
 *
 * Run from the repository root:
 *   deno run --allow-all chapters/04-nonblocking/lab/busy_at_low_load.ts
 * (busy_at_low_load.txt beside this file is its output on the lab machine.)
 *
 * @module
 */
const SERVERS = ["04-nonblocking", "06-epoll"];
const RATES = [0, 10, 100, 1_000]; // messages per second (at most one per 1 ms tick)
const SECONDS = 3, SIZE = 64;

/** utime + stime of a process, in seconds (ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** One client connection that counts the bytes echoed back to it. */
class Client {
  sent = 0;
  echoed = 0;
  readonly done: Promise<void>;
  constructor(readonly conn: Deno.Conn) {
    this.done = (async () => {
      const buffer = new Uint8Array(65536);
      for (let n; (n = await conn.read(buffer)) !== null;) this.echoed += n;
    })();
  }

  /** Sends `rate` messages a second for SECONDS, paced by the clock, then
   * waits for the last echo. */
  async drive(rate: number): Promise<void> {
    const started = performance.now(), first = this.sent;
    await new Promise<void>((done) => {
      const timer = setInterval(() => {
        const elapsed = (performance.now() - started) / 1000;
        if (elapsed >= SECONDS) {
          clearInterval(timer);
          return done();
        }
        const due = Math.floor(elapsed * rate) - (this.sent - first) / SIZE;
        if (due > 0) {
          this.conn.write(new Uint8Array(due * SIZE));
          this.sent += due * SIZE;
        }
      }, 1);
    });
    const deadline = Date.now() + 2000;
    while (this.echoed < this.sent && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    if (this.echoed < this.sent) {
      throw new Error(`only ${this.echoed} of ${this.sent} bytes echoed`);
    }
  }
}

console.log(
  `Deno ${Deno.version.deno}; one client, ${SIZE} B messages, ${SECONDS} s ` +
    `per rate; server CPU in cores (utime+stime from /proc/PID/stat)`,
);
console.log(
  `${"server".padEnd(16)}${RATES.map((r) => `${r}/s`.padStart(10)).join("")}`,
);
for (const server of SERVERS) {
  const child = new Deno.Command("deno", {
    args: ["run", "--allow-all", `chapters/${server}/server.ts`, "--port", "0"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("\n")) said += (await reader.read()).value ?? "";
  const port = Number(said.match(/:(\d+)/)![1]);
  const client = new Client(
    await Deno.connect({ hostname: "127.0.0.1", port }),
  );
  const cores: string[] = [];
  for (const rate of RATES) {
    const before = cpuSeconds(child.pid), t0 = performance.now();
    await client.drive(rate);
    const used = cpuSeconds(child.pid) - before;
    cores.push((used / ((performance.now() - t0) / 1000)).toFixed(2));
  }
  client.conn.closeWrite();
  await client.done;
  client.conn.close();
  child.kill("SIGTERM");
  await child.status;
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  console.log(
    `${server.padEnd(16)}${cores.map((c) => c.padStart(10)).join("")}`,
  );
}
