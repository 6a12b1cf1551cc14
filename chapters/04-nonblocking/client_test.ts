/**
 * The busy-polling client sets O_NONBLOCK on stdin, a flag of the open file
 * it shares with whoever started it (a shell, a terminal). These tests check
 * that it echoes while stdin is still open, and that it hands stdin back as
 * it found it, whether it ends at end of file or by Ctrl-C.
 */
import assert from "node:assert/strict";
import { chapterNamed, taskCommand } from "@echo-lab/harness/chapters";
import { descendants, isAlive, startServer } from "@echo-lab/harness/process";
import { sleep, withTimeout } from "@echo-lab/harness/net";
import { O_NONBLOCK } from "@echo-lab/shared/constants";

const chapter = chapterNamed("04-nonblocking");
const LINE = "hello, busy loop\n";

for (const ending of ["end of file", "SIGINT"] as const) {
  Deno.test(`04-nonblocking client: echoes while stdin is open, and restores stdin's flags after ${ending}`, async () => {
    await using server = await startServer(chapter);
    // A shell prints the flags of its stdin (the same open pipe the client
    // inherits) before and after the client runs.
    const flags = "grep ^flags /proc/self/fdinfo/0 >&2";
    const client = taskCommand(chapter, "client", [
      "--port",
      String(server.port),
    ]);
    const shell = new Deno.Command("sh", {
      args: [
        "-c",
        `${flags}; "$@"; echo "exit $?" >&2; ${flags}`,
        "sh",
        ...client,
      ],
      cwd: chapter.dir,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(shell.stderr).text();
    const stdout = shell.stdout.pipeThrough(new TextDecoderStream())
      .getReader();
    const stdin = shell.stdin.getWriter();
    let echoed = "";
    try {
      await stdin.write(new TextEncoder().encode(LINE));
      // The echo comes back while stdin stays open: the loop polls both.
      await withTimeout(
        (async () => {
          while (!echoed.includes(LINE)) {
            const { value, done } = await stdout.read();
            if (done) break;
            echoed += value;
          }
        })(),
        10_000,
        "the echo",
      );
      assert.equal(echoed, LINE);
      if (ending === "SIGINT") {
        // Ctrl-C reaches the client only; the shell goes on to print flags.
        // stdin stays open until the client is gone, so that it is the
        // signal that ends it, not the end of its input.
        const [client] = descendants(shell.pid);
        Deno.kill(client, "SIGINT");
        await withTimeout(
          (async () => {
            while (isAlive(client)) await sleep(20);
          })(),
          10_000,
          "the client to stop",
        );
      }
    } finally {
      await stdin.close();
      for (let r; !(r = await stdout.read()).done;) echoed += r.value;
    }
    await withTimeout(shell.status, 10_000, "the client to exit");
    const report = await stderr;
    const [before, after] = [...report.matchAll(/^flags:\s+(\d+)$/gm)]
      .map((match) => parseInt(match[1], 8));
    assert.equal(before & O_NONBLOCK, 0, `stdin starts blocking: ${report}`);
    assert.equal(after, before, `stdin's flags afterwards: ${report}`);
    assert.match(report, ending === "SIGINT" ? /^exit 130$/m : /^exit 0$/m);
  });
}
