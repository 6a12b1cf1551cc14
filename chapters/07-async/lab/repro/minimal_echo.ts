/**
 * The smallest Deno.listen echo server: no chapter code, no shared code, one
 * task per connection. It reproduces chapter 07's collapse at 10,000 busy
 * connections, which is how we know the cost is in the runtime (see the
 * README, "10,000 connections"). Not a chapter server: no --host, no clean
 * stop. Run: deno run --allow-net lab/repro/minimal_echo.ts [PORT]
 *
 * @module
 */
const listener = Deno.listen({
  hostname: "127.0.0.1",
  port: Number(Deno.args[0] ?? 7017),
});
console.log(`listening on 127.0.0.1:${listener.addr.port}`);
for await (const conn of listener) echo(conn);

async function echo(conn: Deno.TcpConn): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  try {
    for (let n; (n = await conn.read(buffer)) !== null;) {
      for (let at = 0; at < n;) at += await conn.write(buffer.subarray(at, n));
    }
  } catch { /* a reset: this connection only */ }
  conn.close();
}
