/**
 * How many Workers this process can afford before it runs out of file
 * descriptors. A Worker is more than a thread: its runtime opens descriptors
 * of its own (an epoll instance, an eventfd, copies of stdout and stderr;
 * `deno task worker-cost` counts them). When it cannot, Deno does not throw
 * an exception we could catch: it panics, and the whole server dies. So the
 * server does the arithmetic before it spawns anything.
 *
 * @example
 * ```ts
 * import { affordableWorkers } from "./fd_budget.ts";
 * console.log(affordableWorkers()); // 2852 under the usual 20,000 limit, say
 * ```
 *
 * @module
 */
import { libc } from "@echo-lab/shared/libc";
import { F_GETFD } from "@echo-lab/shared/constants";
import { raiseNoFileLimit } from "@echo-lab/shared/rlimit";

/** Descriptors one Worker's runtime holds (Deno 2.9.6, Linux): measured by
 * `deno task worker-cost` and checked by server_test.ts. */
export const WORKER_FDS = 6;
/** Kept free for the runtime's own later needs (cache files it opens on
 * first use) and for the accept that finds the table full. */
const RESERVE = 16;

// #region budget
/** Raises the soft RLIMIT_NOFILE to the hard limit, then returns how many
 * Workers, each with one connection, fit in what is left. */
export function affordableWorkers(): number {
  const limit = raiseNoFileLimit();
  const open = countOpenDescriptors(Math.min(limit, 1 << 20));
  return Math.max(0, Math.floor((limit - open - RESERVE) / (WORKER_FDS + 1)));
}
// #endregion

/** Counts the open descriptors below `end`, asking fcntl(F_GETFD) about
 * each number: it fails with EBADF for a number that is not open. (Reading
 * /proc/self/fd would be quicker, but Deno grants that only with
 * --allow-all.) */
function countOpenDescriptors(end: number): number {
  let open = 0;
  for (let fd = 0; fd < end; fd++) {
    if (libc.fcntl(fd, F_GETFD, 0) >= 0) open++;
  }
  return open;
}
