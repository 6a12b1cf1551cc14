/**
 * Running a chapter's client the way a reader does: `cat file | deno task
 * client` or `deno task client < file`.
 *
 * @module
 */
import { type Chapter, taskCommand } from "./chapters.ts";
import { withTimeout } from "./net.ts";

export interface ClientResult {
  code: number;
  stdout: Uint8Array;
  stderr: string;
}

/** Runs the chapter's `client` task against `port` with `input` on stdin,
 * either through a pipe or as a redirected regular file. */
export async function runClient(
  chapter: Chapter,
  port: number,
  input: Uint8Array,
  stdin: "pipe" | "file",
  extraArgs: string[] = [],
): Promise<ClientResult> {
  const command = taskCommand(chapter, "client", [
    "--port",
    String(port),
    ...extraArgs,
  ]);
  const file = await Deno.makeTempFile({ prefix: "echo-lab-client-" });
  try {
    await Deno.writeFile(file, input);
    // A file on stdin is not the same as a pipe: epoll, for one, refuses
    // regular files. `sh -c 'exec ... < file'` gives the client a real file.
    const child = stdin === "file"
      ? new Deno.Command("sh", {
        args: ["-c", `exec "$@" < ${JSON.stringify(file)}`, "sh", ...command],
        cwd: chapter.dir,
        stdout: "piped",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1" },
      }).spawn()
      : new Deno.Command(command[0], {
        args: command.slice(1),
        cwd: chapter.dir,
        stdin: "piped",
        stdout: "piped",
        stderr: "piped",
        env: { DENO_NO_UPDATE_CHECK: "1" },
      }).spawn();
    // Collect stdout while feeding stdin: the echo flows back as we write.
    const exited = child.output();
    if (stdin === "pipe") {
      // A client may rightly exit before reading all its input (the server
      // went away): then this write fails with EPIPE, which is not our error.
      const writer = child.stdin.getWriter();
      await writer.write(input).then(() => writer.close()).catch(() => {});
    }
    const output = await withTimeout(exited, 60_000, "client exit");
    return {
      code: output.code,
      stdout: output.stdout,
      stderr: new TextDecoder().decode(output.stderr),
    };
  } finally {
    await Deno.remove(file);
  }
}
