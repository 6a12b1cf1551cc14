/**
 * The load generator's protocol, parent side: how the bench starts a load
 * generator process and reads what it saw. The load generator takes its
 * orders as flags and prints one JSON event per line on stdout; its last
 * stderr line says why when it fails.
 *
 * @module
 */
import type { CapacityStep, ErrorCounts, Round, Settings } from "./results.ts";
import type { Cleanups } from "./context.ts";

/** The load generator's stdout: one of these per line. */
export type LoadgenEvent =
  | CapacityStep & { event: "step"; errors: ErrorCounts }
  | {
    event: "probe";
    held: number;
    failedAt: number | null;
    failure: string | null;
    errors: ErrorCounts;
    idleConnections: number | null;
    idleCores: number | null;
    idleOtherCores: number | null;
  }
  | {
    event: "connected";
    connections: number;
    echoed: number;
    errors: ErrorCounts;
  }
  | (
    & { event: "round"; size: number; round: number; connections: number }
    & LoadgenRound
  )
  | (
    & {
      event: "rate";
      size: number;
      round: number;
      connections: number;
      rate: number;
    }
    & LoadgenRound
  )
  | { event: "done"; errors: ErrorCounts };

/** A timed round as the load generator prints it: the bench adds the rest. */
export type LoadgenRound = Omit<Round, "otherCores" | "attempts">;

/** The flags every phase shares, from the run's settings. */
export function commonFlags(
  settings: Settings,
  server: { port: number; pid: number },
): string[] {
  return [
    `--port=${server.port}`,
    `--server-pid=${server.pid}`,
    `--round-ms=${settings.roundMs}`,
    `--warmup-ms=${settings.warmupMs}`,
    `--timeout-ms=${settings.timeoutMs}`,
    `--memory-mb=${settings.memoryBudgetMb}`,
  ];
}

/** Runs `command` (a load generator and its flags) and hands each JSON line
 * it prints to `onEvent`. Throws when it fails, with its last stderr line.
 * It is killed after `limitMs` (its own timeouts bound every phase: this
 * only catches a hung process), or by `cleanups` on Ctrl-C. */
export async function runLoadgen(
  command: string[],
  onEvent: (event: LoadgenEvent) => void,
  { limitMs, cleanups }: { limitMs: number; cleanups?: Cleanups },
): Promise<void> {
  const [program, ...args] = command;
  const child = new Deno.Command(program, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = () => {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    return child.status;
  };
  cleanups?.add(kill);
  const timer = setTimeout(kill, limitMs);
  const stderr = new Response(child.stderr).text();
  try {
    let buffered = "";
    for await (
      const text of child.stdout.pipeThrough(new TextDecoderStream())
    ) {
      buffered += text;
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) if (line) onEvent(JSON.parse(line));
    }
    const { code, signal } = await child.status;
    if (code !== 0) {
      const why = lastLine(await stderr) ?? signal ?? `exit code ${code}`;
      throw new Error(`load generator failed: ${why}`);
    }
  } finally {
    clearTimeout(timer);
    cleanups?.delete(kill);
    await stderr;
  }
}

/** The last non-empty line of `text`, or null. */
export function lastLine(text: string): string | null {
  return text.trim().split("\n").at(-1)?.trim() || null;
}
