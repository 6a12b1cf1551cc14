/**
 * The doctor on this machine, and under a seccomp filter that denies
 * io_uring_setup as Docker's default profile does: then the chapter that
 * declares an io_uring trial cannot run, its server's one line names the
 * seccomp profile and Docker's fix, and the doctor says the same.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { discoverChapters, ROOT, taskCommand } from "./chapters.ts";
import { atLeast, loadNeeds, parseVersion } from "./doctor.ts";

/** io_uring_setup's number, the same on x86_64 and aarch64. */
const SYS_IO_URING_SETUP = "425";

async function run(command: string[], cwd = ROOT) {
  const { code, stdout, stderr } = await new Deno.Command(command[0], {
    args: command.slice(1),
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { DENO_NO_UPDATE_CHECK: "1" },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

const doctor = [Deno.execPath(), "run", "--allow-all", "harness/doctor.ts"];

/** The verdict line of `chapter` in the doctor's output, and the lines
 * under it. */
function verdictOf(output: string, chapter: string): string {
  const at = output.indexOf(`  ${chapter} `);
  assert.ok(at >= 0, `no verdict for ${chapter}:\n${output}`);
  const rest = output.slice(at).split("\n");
  const end = rest.findIndex((l, i) => i > 0 && /^ {2}\S/.test(l));
  return rest.slice(0, end < 0 ? undefined : end).join("\n");
}

Deno.test("doctor: versions compare as numbers", () => {
  assert.deepEqual(parseVersion("6.18.44-fc-v1272"), [6, 18, 44]);
  assert.ok(atLeast([6, 1, 0], "6.1"));
  assert.ok(atLeast([5, 19], "5.19"));
  assert.ok(!atLeast([5, 4, 300], "5.19"));
  assert.ok(atLeast([6, 0], "5.19"));
});

Deno.test("doctor: exits 0 and gives every chapter a verdict", async () => {
  const { code, stdout, stderr } = await run(doctor);
  assert.equal(code, 0, stderr);
  for (const chapter of discoverChapters()) {
    assert.match(
      verdictOf(stdout, chapter.name),
      /runs|runs, with a caveat|cannot run here/,
    );
  }
});

Deno.test("under a seccomp filter denying io_uring_setup: the server's line and the doctor name the profile", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "echo-lab-seccomp-" });
  try {
    const launcher = join(dir, "deny_syscall");
    const gcc = await run([
      "gcc",
      "-O2",
      "-o",
      launcher,
      join(ROOT, "harness/testdata/deny_syscall.c"),
    ]).catch((error) => ({ code: -1, stderr: String(error) }));
    if (gcc.code !== 0) {
      // CI installs gcc (.ci/run); say so rather than pass quietly.
      console.log(`skipped: gcc cannot build the launcher: ${gcc.stderr}`);
      return;
    }
    const probed = [];
    for (const chapter of discoverChapters()) {
      if ((await loadNeeds(chapter)).probe) {
        probed.push(chapter);
      }
    }
    assert.ok(probed.length > 0, "no chapter declares an io_uring trial");
    for (const chapter of probed) {
      await t.step(
        `${chapter.name} server: one line naming the profile`,
        async () => {
          const command = taskCommand(chapter, "server", ["--port", "0"]);
          const { code, stderr } = await run(
            [launcher, SYS_IO_URING_SETUP, ...command],
            chapter.dir,
          );
          assert.notEqual(code, 0);
          const lines = stderr.trim().split("\n");
          assert.equal(lines.length, 1, stderr);
          assert.match(lines[0], /EPERM/);
          assert.match(lines[0], /seccomp profile/);
          assert.match(lines[0], /--security-opt seccomp=/);
          assert.match(
            lines[0],
            /io_uring_setup, io_uring_enter and io_uring_register/,
          );
          assert.doesNotMatch(
            lines[0],
            /run the others in a Linux VM or container/,
          );
        },
      );
      await t.step(
        `${chapter.name}: the doctor says it cannot run, and why`,
        async () => {
          const { code, stdout } = await run([
            launcher,
            SYS_IO_URING_SETUP,
            ...doctor,
          ]);
          assert.equal(code, 0);
          const verdict = verdictOf(stdout, chapter.name);
          assert.match(verdict, /cannot run here/);
          assert.match(verdict, /seccomp profile/);
          assert.match(verdict, /--security-opt seccomp=/);
        },
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
