/**
 * Chapter 03's stand-in for fork(): start a fresh `deno run` of one of this
 * chapter's scripts, handing it some of our file descriptors.
 *
 * The handing down is the kernel's doing, not ours. A new process starts
 * with a copy of every descriptor of its parent, under the same numbers,
 * except those marked FD_CLOEXEC ("close on exec"), which exec drops. Deno
 * and the shared layer mark every descriptor they open that way, so a child
 * gets exactly the ones we deliberately left unmarked. All it needs besides
 * is their numbers, which we put on its command line.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { setParentDeathSignal } from "./prctl.ts";

// #region spawn
/** Starts `deno run --allow-ffi SCRIPT --parent OUR_PID --NAME FD ...`.
 * `script` is relative to this folder. `deno` is looked up on PATH: the
 * tasks allow running exactly that (`--allow-run=deno`). The child's stderr is
 * ours; its stdin is ours and its stdout a pipe to us only if asked for.
 * `ownSession` starts it in a new session and process group (setsid(2)),
 * where signals sent to our process group do not reach it. */
export function spawnDeno(
  script: string,
  fds: Record<string, number>,
  { stdin = "null", stdout = "null", ownSession = false }: {
    stdin?: "null" | "inherit";
    stdout?: "null" | "piped";
    ownSession?: boolean;
  } = {},
): Deno.ChildProcess {
  const args = Object.entries({ parent: Deno.pid, ...fds })
    .flatMap(([name, value]) => [`--${name}`, String(value)]);
  return new Deno.Command("deno", {
    args: [
      "run",
      "--allow-ffi",
      fileURLToPath(new URL(script, import.meta.url)),
      ...args,
    ],
    stdin,
    stdout,
    stderr: "inherit",
    detached: ownSession,
  }).spawn();
}
// #endregion

/** The child's side: the `--NAME NUMBER` pairs {@linkcode spawnDeno} put on
 * its command line, e.g. `{ parent: 4242, listener: 3 }`. */
export function childArgs(): Record<string, number> {
  const args: Record<string, number> = {};
  for (let i = 0; i + 1 < Deno.args.length; i += 2) {
    args[Deno.args[i].replace(/^--/, "")] = Number(Deno.args[i + 1]);
  }
  if (!(args.parent > 0)) {
    console.error("error: this script is started by its parent, not by hand");
    Deno.exit(2);
  }
  return args;
}

// #region die-with-parent
/** Ties this process's life to its parent's. The kernel sends us SIGTERM
 * when the parent ends, even by SIGKILL, when it runs no code at all; with
 * no listener installed, SIGTERM ends us. If the parent died before this
 * ran, we have already been handed to a new parent (pid 1 or a subreaper)
 * and no signal will ever come: leave now. */
export function dieWithParent(parent: number): void {
  setParentDeathSignal("SIGTERM");
  if (Deno.ppid !== parent) Deno.exit(1);
}
// #endregion
