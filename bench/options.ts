/**
 * The bench's command line: flags, their defaults, and `--quick`'s smaller
 * defaults under any flag given explicitly.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { REFERENCES } from "./servers.ts";
import type { Settings } from "./results.ts";

export const USAGE = `usage: deno task bench [options]

Measures every chapter's servers (and Node.js and C references) under the same
echo load, closed loop and at fixed rates; writes latest.json, summary.md and
SVG charts. A run of some chapters or references merges into the results; a
run with other cells (--quick, --connections, ...) writes a new temp dir.

options:
  --quick               smoke run: 1 round of 300 ms at 1 and 10 connections,
                        64 B, probe up to 100, one rate; a new temp dir
  --chapters LIST       chapter folders to run, by prefix: 06,07-async (all)
  --references LIST     node,c or none (node,c)
  --sizes LIST          message sizes in bytes (64,4096)
  --connections LIST    connection counts (1,10,100,1000,10000)
  --rounds N            timed rounds per cell (3)
  --round-ms N          length of a round (1000)
  --warmup-ms N         untimed ping-pong before the rounds (500)
  --max-connections N   the capacity probe's last step (10000)
  --memory-mb N         stop a server's probe past this RSS (6144)
  --timeout-ms N        how long a connect or an echo may take (5000)
  --rates LIST          open loop: round trips/s offered (1000,5000,20000,50000)
  --rate-connections N  open loop: connections the rate is spread over, in
                        the closed-loop cell with as many connections (10)
  --loadgen-threads N   the load generator's threads (1)
  --count               only the counting pass (system calls and wake-ups
                        per round trip at 1, 100 and 1,000 connections, under
                        strace; a full run ends with it), merged into the
                        results there
  --out DIR             where results go (see above; merges when it can)
  -h, --help            show this help`;

/** What the command line asked for. */
export interface Options {
  settings: Settings;
  /** `--out`, when given. */
  out: string | null;
  loadgenThreads: number;
  /** `--count`: the counting pass (bench/count.ts) alone. */
  count: boolean;
}

/** Parses `args`; prints the usage and exits on --help or a bad flag. */
export function parseOptions(args: string[]): Options {
  const list = { type: "string" } as const;
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        help: { type: "boolean", short: "h" },
        quick: { type: "boolean" },
        count: { type: "boolean" },
        chapters: list,
        references: list,
        sizes: list,
        connections: list,
        rounds: list,
        "round-ms": list,
        "warmup-ms": list,
        "max-connections": list,
        "memory-mb": list,
        "timeout-ms": list,
        rates: list,
        "rate-connections": list,
        "loadgen-threads": list,
        out: list,
      },
    }));
  } catch (error) {
    usageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help) {
    console.log(USAGE);
    Deno.exit(0);
  }
  const quick = values.quick ?? false;
  const numbers = (name: keyof typeof values, fallback: string) => {
    const raw = (values[name] as string | undefined) ?? fallback;
    const parsed = raw.split(",").map((s) => /^\d+$/.test(s) ? Number(s) : NaN);
    if (!parsed.every((n) => n >= 1)) {
      usageError(`invalid --${name} "${raw}": expected whole numbers ≥ 1`);
    }
    return parsed;
  };
  const one = (name: keyof typeof values, fallback: number) =>
    numbers(name, String(fallback))[0];
  const references = values.references === "none"
    ? []
    : (values.references ?? REFERENCES.join(",")).split(",");
  for (const reference of references) {
    if (!(REFERENCES as readonly string[]).includes(reference)) {
      usageError(`unknown reference "${reference}": expected ${REFERENCES}`);
    }
  }
  const settings: Settings = {
    quick,
    chapters: values.chapters?.split(",") ?? [],
    references,
    sizes: numbers("sizes", quick ? "64" : "64,4096"),
    connections: numbers(
      "connections",
      quick ? "1,10" : "1,10,100,1000,10000",
    ).sort((a, b) => a - b),
    rounds: one("rounds", quick ? 1 : 3),
    roundMs: one("round-ms", quick ? 300 : 1000),
    warmupMs: one("warmup-ms", quick ? 100 : 500),
    maxConnections: one("max-connections", quick ? 100 : 10_000),
    memoryBudgetMb: one("memory-mb", 6144),
    timeoutMs: one("timeout-ms", quick ? 2000 : 5000),
    rates: numbers("rates", quick ? "2000" : "1000,5000,20000,50000")
      .sort((a, b) => a - b),
    rateConnections: one("rate-connections", 10),
  };
  return {
    settings,
    out: values.out ?? null,
    loadgenThreads: one("loadgen-threads", 1),
    count: values.count ?? false,
  };
}

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  Deno.exit(2);
}
