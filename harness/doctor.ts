/**
 * `deno task doctor`: what this machine can run, chapter by chapter, and
 * the fix for whatever it cannot. First the machine: OS and architecture,
 * the kernel against the versions the chapters declare, io_uring (the sysctl
 * and a trial call), seccomp and containers, the open-file limit against the
 * bench's 10,000-connection runs, ptrace for strace, gcc and chromium. Then
 * one verdict per chapter: runs, runs with a caveat, or cannot.
 *
 * Chapters are discovered; what one needs beyond its tasks' permission flags
 * (an FFI chapter needs Linux) its chapter.ts exports as `needs`. The
 * doctor only reports: it exits 0 whatever it finds.
 *
 * @module
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { type Chapter, discoverChapters, exists } from "./chapters.ts";
import { straceWorks } from "./strace.ts";

/** What a chapter needs from the machine beyond what its tasks' permission
 * flags say (an FFI chapter needs Linux): its `chapter.ts` may export it as
 * `needs`. */
export interface ChapterNeeds {
  /** Each: the Linux version that `enables` something; with `variant` (a
   * server task) only that variant needs it, and the rest of the chapter
   * runs on an older kernel. */
  kernel?: { version: string; enables: string; variant?: string }[];
  /** Tries what the chapter needs here: null when it works, else why not,
   * with the fix. Called only by the doctor (it may load FFI code). */
  probe?: () => Promise<string | null>;
}

/** The `needs` that `chapter`'s chapter.ts exports, if any. */
export async function loadNeeds(chapter: Chapter): Promise<ChapterNeeds> {
  try {
    const file = pathToFileURL(join(chapter.dir, "chapter.ts")).href;
    return ((await import(file)) as { needs?: ChapterNeeds }).needs ?? {};
  } catch {
    return {}; // no chapter.ts: nothing declared
  }
}

/** The bench's largest run, plus room for the server's own descriptors. */
const BENCH_FDS = 10_240;
/** Where the site's browser test looks for Chromium. */
const CHROMIUM = "/usr/bin/chromium";

/** One finding about a chapter; `fix` says what to do. */
interface Problem {
  level: "cannot" | "caveat";
  what: string;
  fix: string;
}

/** What the machine checks found, for the chapters' verdicts. */
interface Machine {
  linux: boolean;
  kernel: number[] | null;
  strace: string | null;
  nofileHard: number | null;
  container: string | null;
}

if (import.meta.main) {
  const machine = await examine();
  console.log("");
  await judgeChapters(machine);
}

async function examine(): Promise<Machine> {
  const { os, arch } = Deno.build;
  const linux = os === "linux";
  const release = linux ? Deno.osRelease() : null;
  const kernel = release ? parseVersion(release) : null;
  const container = linux ? detectContainer() : null;
  console.log("this machine");
  line(
    linux,
    `OS ${os}/${arch}`,
    linux
      ? ""
      : "only chapter 07 runs here: see the README's 'What runs where'",
  );
  if (!linux) {
    return { linux, kernel, strace: "not Linux", nofileHard: null, container };
  }
  line(true, `kernel ${release}`, "");
  const disabled = readText("/proc/sys/kernel/io_uring_disabled")?.trim();
  if (disabled !== undefined) {
    line(
      disabled === "0",
      `kernel.io_uring_disabled = ${disabled}`,
      "as root: sysctl -w kernel.io_uring_disabled=0",
    );
  }
  const seccomp = readText("/proc/self/status")?.match(/^Seccomp:\s*(\d)/m)
    ?.[1];
  line(
    true,
    `seccomp: ${
      seccomp === "2" ? "a filter is installed (as in a container)" : "none"
    }`,
    "",
  );
  line(true, `container: ${container ?? "none detected"}`, "");
  const { getNoFileLimit } = await import("@echo-lab/shared/rlimit");
  const { soft, hard } = getNoFileLimit();
  line(
    hard >= BENCH_FDS,
    `open files (RLIMIT_NOFILE): soft ${soft}, hard ${hard}; the bench's ` +
      `10,000-connection runs need ${BENCH_FDS}`,
    "ulimit -Hn 65536 as root (in Docker: --ulimit nofile=65536:65536); the " +
      "servers raise their soft limit to the hard one themselves",
  );
  const scope = readText("/proc/sys/kernel/yama/ptrace_scope")?.trim();
  if (scope !== undefined) {
    line(
      scope !== "3",
      `kernel.yama.ptrace_scope = ${scope}`,
      "3 forbids ptrace until reboot; strace runs at 0, 1 or 2 (2: root " +
        "with CAP_SYS_PTRACE)",
    );
  }
  const strace = await straceWorks();
  line(
    strace === null,
    "strace can trace a child",
    ptraceFix(strace, container),
  );
  line(
    await runs("gcc", ["--version"]),
    "gcc (the bench's load generator and C servers)",
    "apt-get install gcc",
  );
  line(
    exists(CHROMIUM),
    `chromium at ${CHROMIUM} (the site's browser test)`,
    "apt-get install chromium",
  );
  return { linux, kernel, strace, nofileHard: hard, container };
}

async function judgeChapters(machine: Machine): Promise<void> {
  console.log("chapters");
  for (const chapter of discoverChapters()) {
    const problems: Problem[] = [];
    /** What was checked and is fine, said under the verdict. */
    const met: string[] = [];
    const ffi = Object.values(chapter.tasks).some((task) =>
      task.includes("--allow-ffi")
    );
    if (ffi && !machine.linux) {
      problems.push({
        level: "cannot",
        what: "it calls Linux's system calls through libc",
        fix: "Windows: WSL2; macOS: a Linux VM (Lima, OrbStack, UTM)",
      });
    }
    const needs = await loadNeeds(chapter);
    for (const need of needs.kernel ?? []) {
      if (!machine.kernel) continue;
      if (atLeast(machine.kernel, need.version)) {
        met.push(
          `✓ Linux ${need.version} for ${need.variant ?? "the chapter"}: ` +
            need.enables,
        );
        continue;
      }
      problems.push({
        level: need.variant ? "caveat" : "cannot",
        what: `${need.variant ?? "it"} needs Linux ${need.version}: ` +
          need.enables,
        fix: "a newer kernel (a VM with a current distribution)",
      });
    }
    if (machine.linux && needs.probe) {
      const why = await needs.probe().catch((error) => String(error));
      if (why) problems.push({ level: "cannot", what: why, fix: "" });
      else met.push("✓ a trial of the calls it needs works here");
    }
    if (machine.linux && machine.strace) {
      problems.push({
        level: "caveat",
        what: "deno task trace cannot trace it",
        fix: ptraceFix(machine.strace, machine.container),
      });
    }
    if (machine.nofileHard !== null && machine.nofileHard < BENCH_FDS) {
      problems.push({
        level: "caveat",
        what: "the bench's 10,000-connection runs will hit the open-file limit",
        fix: "raise the hard RLIMIT_NOFILE (see above)",
      });
    }
    const verdict = problems.some((p) => p.level === "cannot")
      ? "cannot run here"
      : problems.length
      ? "runs, with a caveat"
      : "runs";
    console.log(`  ${chapter.name.padEnd(18)} ${verdict}`);
    for (const note of met) console.log(`      ${note}`);
    for (const { what, fix } of problems) {
      console.log(`      ${what}${fix ? `\n      fix: ${fix}` : ""}`);
    }
  }
}

/** One check's line: ✓ or ✗, what, and on ✗ the fix. */
function line(ok: boolean, what: string, fix: string): void {
  console.log(`  ${ok ? "✓" : "✗"} ${what}`);
  if (!ok && fix) console.log(`      fix: ${fix}`);
}

function ptraceFix(problem: string | null, container: string | null): string {
  if (problem === null) return "";
  if (/not installed/.test(problem)) return "apt-get install strace";
  return container
    ? "in a container: docker run --cap-add SYS_PTRACE (and a seccomp " +
      "profile that allows ptrace, as Docker's default does on Linux 4.8+)"
    : `${problem}; check kernel.yama.ptrace_scope (0 or 1)`;
}

/** Signs of a container: the files Docker and Podman leave, a `container`
 * variable (systemd's convention), or PID 1's cgroup path. */
function detectContainer(): string | null {
  if (exists("/.dockerenv")) return "Docker (/.dockerenv)";
  if (exists("/run/.containerenv")) return "Podman (/run/.containerenv)";
  let variable: string | undefined;
  try {
    variable = Deno.env.get("container");
  } catch { /* no permission to read it */ }
  if (variable) return `${variable} (the container variable)`;
  const cgroup = readText("/proc/1/cgroup") ?? "";
  const match = cgroup.match(/docker|kubepods|containerd|lxc/);
  return match ? `${match[0]} (/proc/1/cgroup)` : null;
}

/** "6.18.44-fc-v1272" → [6, 18, 44]. */
export function parseVersion(release: string): number[] {
  return (release.match(/^\d+(\.\d+)*/)?.[0] ?? "0").split(".").map(Number);
}

/** Whether `have` is at least version `want` ("5.19"). */
export function atLeast(have: number[], want: string): boolean {
  const need = parseVersion(want);
  for (let i = 0; i < need.length; i++) {
    if ((have[i] ?? 0) !== need[i]) return (have[i] ?? 0) > need[i];
  }
  return true;
}

async function runs(program: string, args: string[]): Promise<boolean> {
  try {
    const { code } = await new Deno.Command(program, {
      args,
      stdout: "null",
      stderr: "null",
    }).output();
    return code === 0;
  } catch {
    return false;
  }
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}
