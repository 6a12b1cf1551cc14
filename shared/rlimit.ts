/**
 * getrlimit(2) and setrlimit(2) for RLIMIT_NOFILE, the per-process limit on
 * open descriptors. Every connection is one descriptor, and the usual soft
 * limit is 1,024; the hard limit (the ceiling an unprivileged process may
 * raise its soft limit to) is often far higher.
 *
 * @example
 * ```ts
 * import { getNoFileLimit, raiseNoFileLimit } from "./rlimit.ts";
 * console.log(getNoFileLimit()); // { soft: 1024, hard: 524288 }, say
 * console.log(raiseNoFileLimit()); // 524288: the soft limit is now the hard
 * ```
 *
 * @module
 */
import { errnoCell, libc } from "./libc.ts";
import { check } from "./errno.ts";

const RLIMIT_NOFILE = 7;
/** RLIM_INFINITY: no limit. */
const UNLIMITED = 0xffff_ffff_ffff_ffffn;

/** The soft and hard limits on open descriptors (`Infinity` for none). */
export interface NoFileLimit {
  soft: number;
  hard: number;
}

/** getrlimit(RLIMIT_NOFILE). */
export function getNoFileLimit(): NoFileLimit {
  // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }: two u64.
  const limit = new BigUint64Array(2);
  check("getrlimit", libc.getrlimit(RLIMIT_NOFILE, bytes(limit)), errnoCell[0]);
  const [soft, hard] = [...limit].map((v) =>
    v === UNLIMITED ? Infinity : Number(v)
  );
  return { soft, hard };
}

/** Raises the soft limit on open descriptors to the hard limit (setrlimit)
 * and returns the new soft limit. Never lowers it. */
export function raiseNoFileLimit(): number {
  const limit = new BigUint64Array(2);
  check("getrlimit", libc.getrlimit(RLIMIT_NOFILE, bytes(limit)), errnoCell[0]);
  if (limit[0] !== limit[1]) {
    limit[0] = limit[1];
    check(
      "setrlimit",
      libc.setrlimit(RLIMIT_NOFILE, bytes(limit)),
      errnoCell[0],
    );
  }
  return limit[0] === UNLIMITED ? Infinity : Number(limit[0]);
}

function bytes(limit: BigUint64Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  return new Uint8Array(limit.buffer);
}
