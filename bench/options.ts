/**
 * The bench's command line: flags, their defaults, and the smaller defaults
 * of `--quick` and `--reproduce` under any flag given explicitly.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { REFERENCES } from "./servers.ts";
import type { Settings } from "./results.ts";

export const USAGE = `usage: deno task bench [options]

Measures every chapter's servers and the C epoll reference (and Node.js) under
the same echo load, interleaved round by round, and checks that nothing else
ran beside each measurement. The full run writes bench/results/ (latest.json,
summary.md, SVG charts); a run of some chapters or references writes
bench/results/runs/DATE-WHAT.json; a run with other cells (--quick,
--connections, ...) writes a new temp dir. Nothing is written while some
measurement stays noisy, unless --accept-noise.

options:
  --quick               smoke run, about a minute: 1 round of 300 ms at 1
                        and 10 connections, probe up to 100, one rate; a
                        new temp dir, written even when noisy (marked)
  --reproduce           re-measure the ratios the READMEs quote (about 7
                        minutes: 3 rounds, as long as the full run's, so
                        like is compared with like) and print each beside
                        the committed one
  --against FILE        --reproduce: the committed run
                        (bench/results/latest.json)
  --chapters LIST       chapter folders to run, by prefix: 06,07 (all)
  --references LIST     node,c or none (node,c); the C reference runs always
  --sizes LIST          message sizes in bytes (64)
  --connections LIST    connection counts (1,10,100,1000,10000)
  --rounds N            closed loop: rounds, each server once a round (11)
  --round-ms N          length of a timed round (1000)
  --warmup-ms N         untimed ping-pong before each timed round (300)
  --max-connections N   the capacity probe's last step (10000)
  --memory-mb N         stop a server's probe past this RSS (6144)
  --timeout-ms N        how long a connect or an echo may take (5000)
  --rates LIST          open loop: round trips/s offered, or none
                        (1000,5000,20000,50000)
  --rate-connections N  open loop: connections the rate is spread over (10)
  --open-loop-rounds N  open loop: timed rounds per rate (1)
  --attempts N          tries per measurement to find a quiet machine (3)
  --accept-noise        write results even when some measurement had more
                        than 0.1 core of other work beside it (marked)
  --from FILE           with --accept-noise: measure nothing, and write the
                        run a noisy full or partial run kept (the file it
                        names), marked, where that run would have gone
  --loadgen-threads N   the load generator's threads (1)
  --count               only the counting pass (system calls and wake-ups
                        per round trip at 1, 100 and 1,000 connections, under
                        strace; a full run ends with it), written to a file
                        of its own (--out DIR, or a temp dir)
  --out DIR             write latest.json, summary.md and charts to DIR
  -h, --help            show this help`;

/** What the command line asked for. */
export interface Options {
  settings: Settings;
  /** `--out`, when given. */
  out: string | null;
  loadgenThreads: number;
  /** Tries per measurement before it counts as noisy. */
  attempts: number;
  acceptNoise: boolean;
  /** `--reproduce`: the committed results file to compare with; else null. */
  reproduce: string | null;
  /** `--count`: the counting pass (bench/count.ts) alone. */
  count: boolean;
  /** `--accept-noise --from FILE`: the run a noisy run kept, to write. */
  from: string | null;
}

/** The committed results of the full run. */
export const COMMITTED = new URL("./results/latest.json", import.meta.url)
  .pathname;

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
        reproduce: { type: "boolean" },
        count: { type: "boolean" },
        "accept-noise": { type: "boolean" },
        from: list,
        against: list,
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
        "open-loop-rounds": list,
        attempts: list,
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
  const reproduce = values.reproduce ?? false;
  if (quick && reproduce) usageError("--quick and --reproduce: pick one");
  if (values.against && !reproduce) usageError("--against needs --reproduce");
  if (values.from && !values["accept-noise"]) {
    usageError("--from needs --accept-noise");
  }
  // The defaults: full, quick, reproduce.
  const pick = <T>(full: T, short: T, again = full) =>
    quick ? short : reproduce ? again : full;
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
  // The C reference runs in every run: every ratio is taken to it.
  if (!references.includes("c")) references.push("c");
  for (const reference of references) {
    if (!(REFERENCES as readonly string[]).includes(reference)) {
      usageError(`unknown reference "${reference}": expected ${REFERENCES}`);
    }
  }
  const settings: Settings = {
    quick,
    chapters: values.chapters?.split(",") ?? [],
    references,
    sizes: numbers("sizes", "64"),
    connections: numbers("connections", pick("1,10,100,1000,10000", "1,10"))
      .sort((a, b) => a - b),
    rounds: one("rounds", pick(11, 1, 3)),
    openLoopRounds: one("open-loop-rounds", 1),
    roundMs: one("round-ms", pick(1000, 300, 1000)),
    warmupMs: one("warmup-ms", pick(300, 100, 300)),
    maxConnections: one("max-connections", pick(10_000, 100)),
    memoryBudgetMb: one("memory-mb", 6144),
    timeoutMs: one("timeout-ms", pick(5000, 2000)),
    rates: values.rates === "none"
      ? []
      : numbers("rates", pick("1000,5000,20000,50000", "2000"))
        .sort((a, b) => a - b),
    rateConnections: one("rate-connections", 10),
  };
  return {
    settings,
    out: values.out ?? null,
    loadgenThreads: one("loadgen-threads", 1),
    attempts: one("attempts", 3),
    // A smoke run is for seeing that everything runs, on any machine.
    acceptNoise: values["accept-noise"] ?? quick,
    reproduce: reproduce ? values.against ?? COMMITTED : null,
    count: values.count ?? false,
    from: values.from ?? null,
  };
}

function usageError(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  Deno.exit(2);
}
