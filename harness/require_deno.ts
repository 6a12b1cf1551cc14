/**
 * Fails fast, with one clear line, on a Deno other than the pinned one: FFI
 * fast paths and test sanitizer defaults have changed between releases.
 *
 * @module
 */
export const PINNED_DENO = "2.9.6";

if (import.meta.main && Deno.version.deno !== PINNED_DENO) {
  console.error(
    `error: this project is pinned to Deno ${PINNED_DENO}, found ${Deno.version.deno}. ` +
      `Install it with: npm install -g deno@${PINNED_DENO}`,
  );
  Deno.exit(1);
}
