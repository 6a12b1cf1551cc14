/**
 * The two-process client against servers that misbehave: whichever of its
 * two processes notices first, the reader gets one line and exit status 1.
 */
import assert from "node:assert/strict";
import { chapterNamed } from "@echo-lab/harness/chapters";
import { runClient } from "@echo-lab/harness/client";
import { randomBytes, readToEnd } from "@echo-lab/harness/net";

const chapter = chapterNamed("03-process");
const input = randomBytes(4 * 1024 * 1024, 5);

const servers: Record<string, (conn: Deno.TcpConn) => Promise<void>> = {
  // Sends its FIN after 10 bytes but keeps reading (and dropping) the rest:
  // a clean early close, no reset.
  "closes before the end of input": async (conn) => {
    await conn.read(new Uint8Array(10));
    await conn.closeWrite();
    await readToEnd(conn);
  },
  // Closes with unread data: the kernel answers with a reset.
  "resets the connection": async (conn) => {
    await conn.read(new Uint8Array(10));
  },
};

for (const [name, serve] of Object.entries(servers)) {
  Deno.test(`03-process client: a server that ${name}: one line, exit 1`, async () => {
    using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const served = listener.accept().then(async (conn) => {
      try {
        await serve(conn);
      } finally {
        conn.close();
      }
    });
    const result = await runClient(chapter, listener.addr.port, input, "pipe");
    await served;
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /^error: [^\n]+\n$/);
  });
}
