/**
 * The machine a run measured, recorded beside its figures: numbers from
 * another CPU, kernel or Deno are not comparable.
 *
 * @module
 */

/** What a run was measured on. */
export interface Machine {
  cpu: string;
  cores: number;
  memoryBytes: number;
  kernel: string;
  deno: string;
  v8: string;
  /** `node --version`, or null when absent. */
  node: string | null;
  /** `gcc --version` first line, or null when absent. */
  gcc: string | null;
  /** RLIMIT_NOFILE soft limit the servers inherit. */
  noFileLimit: number;
}

/** CPU, cores, memory, kernel, runtimes and the fd limit of this machine. */
export async function describeMachine(): Promise<Machine> {
  const cpuinfo = read("/proc/cpuinfo");
  const meminfo = read("/proc/meminfo");
  const limits = read("/proc/self/limits");
  return {
    cpu: cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1].trim() ??
      Deno.build.arch,
    cores: cpuinfo.match(/^processor\s*:/gm)?.length ??
      navigator.hardwareConcurrency,
    memoryBytes: Number(meminfo.match(/^MemTotal:\s+(\d+)/m)?.[1] ?? 0) * 1024,
    kernel: `${Deno.build.os} ${read("/proc/sys/kernel/osrelease").trim()}`,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    node: await firstLine("node", ["--version"]),
    gcc: await firstLine("gcc", ["--version"]),
    noFileLimit: Number(limits.match(/^Max open files\s+(\d+)/m)?.[1] ?? 0),
  };
}

/** One line describing `machine`, for chart subtitles and the console. */
export function machineLine(machine: Machine, date: string): string {
  const gib = Math.round(machine.memoryBytes / 2 ** 30);
  return `${machine.cpu}, ${machine.cores} cores, ${gib} GiB, ` +
    `${machine.kernel}, Deno ${machine.deno}, ${date.slice(0, 10)}`;
}

/** The first line `program args` prints, or null if it cannot run. */
export async function firstLine(
  program: string,
  args: string[],
): Promise<string | null> {
  try {
    const { success, stdout } = await new Deno.Command(program, {
      args,
      stdout: "piped",
      stderr: "null",
    }).output();
    return success ? new TextDecoder().decode(stdout).split("\n")[0] : null;
  } catch {
    return null; // not installed
  }
}

function read(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return "";
  }
}
