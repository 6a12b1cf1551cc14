/**
 * Whether strace works on this machine: the tracer (`trace/`) and
 * `deno task doctor` ask before they trace.
 *
 * @module
 */

/** Whether strace can trace a child here (it cannot in some containers). */
export async function straceWorks(): Promise<string | null> {
  try {
    const { code, stderr } = await new Deno.Command("strace", {
      args: ["-f", "-qq", "-e", "trace=getpid", "-o", "/dev/null", "true"],
      stdout: "null",
      stderr: "piped",
    }).output();
    return code === 0
      ? null
      : `strace cannot trace here: ${new TextDecoder().decode(stderr).trim()}`;
  } catch {
    return "strace is not installed (apt-get install strace)";
  }
}
