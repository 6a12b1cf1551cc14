/** Runs `deno run [permissions] testdata/NAME args...` to the end and
 * returns its exit code and decoded output: for the tests of functions that
 * print and exit. */
export async function runFixture(
  name: string,
  args: string[],
  permissions: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const fixture = new URL(name, import.meta.url);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, fixture.pathname, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code, stdout: decode(stdout), stderr: decode(stderr) };
}
