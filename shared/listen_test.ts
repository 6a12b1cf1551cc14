import assert from "node:assert/strict";
import { getNoFileLimit } from "./rlimit.ts";
import { listenOrExit } from "./listen.ts";
import { close } from "./socket.ts";
import { runFixture } from "./testdata/run_fixture.ts";

const run = (host: string, port: number) =>
  runFixture("listen_fixture.ts", [host, String(port)], ["--allow-ffi"]);

Deno.test("listenOrExit binds, and raises the descriptor limit when asked", async () => {
  const { code, stdout } = await run("127.0.0.1", 0);
  assert.equal(code, 0);
  const [port, soft] = stdout.trim().split(" ").map(Number);
  assert.ok(port > 0, stdout);
  const { hard } = getNoFileLimit();
  assert.equal(soft, hard === Infinity ? soft : hard);
});

Deno.test("listenOrExit: a port in use is one line on stderr naming the port and the cure, and exit 1", async () => {
  const taken = listenOrExit({ family: "ipv4", host: "127.0.0.1", port: 0 });
  try {
    const { code, stdout, stderr } = await run(
      "127.0.0.1",
      taken.address.port,
    );
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `error: port ${taken.address.port} is in use (another chapter's ` +
        "server?): stop it, or pass --port N\n",
    );
  } finally {
    close(taken.fd);
  }
});
