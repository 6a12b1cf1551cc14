/**
 * prctl(2) for the one option the process chapter needs: PR_SET_PDEATHSIG,
 * "send me this signal when my parent goes away". It is how a worker process
 * follows its master even when the master is killed with SIGKILL and never
 * gets to clean up.
 *
 * Linux only. FreeBSD has `procctl(PROC_PDEATHSIG_CTL)`; macOS has nothing
 * like it, and a child there has to watch a pipe from its parent for EOF.
 *
 * @example
 * ```ts ignore
 * import { setParentDeathSignal } from "./prctl.ts";
 * const parent = Number(Deno.args[0]); // the pid that spawned us, passed down
 * setParentDeathSignal("SIGTERM");
 * // The parent may have died before the line above ran: then the kernel
 * // has already handed us to a new parent and will never send the signal.
 * if (Deno.ppid !== parent) Deno.exit(1);
 * ```
 *
 * @module
 */
import { errnoCell, openLibc } from "@echo-lab/shared/libc";
import { check } from "@echo-lab/shared/errno";

const libc = openLibc({
  // prctl is variadic; the options we use read one `unsigned long` (bigint).
  prctl: { parameters: ["i32", "u64"], result: "i32" },
});

/** prctl option: set the parent-death signal (arg2: the signal number). */
export const PR_SET_PDEATHSIG = 1;

/** The signals worth choosing, by number (the same on x86_64 and aarch64). */
export const SIGNAL_NUMBERS = { SIGHUP: 1, SIGKILL: 9, SIGTERM: 15 } as const;

/** Asks the kernel to send `signal` to this process when the thread that
 * created it exits (for a child spawned from Deno's main thread: when the
 * parent process ends, however it ends). `null` cancels the request. The
 * setting survives nothing: it is cleared in a forked child and must be made
 * by the child itself, after it starts. */
export function setParentDeathSignal(
  signal: keyof typeof SIGNAL_NUMBERS | null,
): void {
  const number = signal === null ? 0 : SIGNAL_NUMBERS[signal];
  check("prctl", libc.prctl(PR_SET_PDEATHSIG, BigInt(number)), errnoCell[0]);
}
