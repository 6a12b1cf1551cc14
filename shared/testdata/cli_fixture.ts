// Parses its arguments with parseCli and prints the result as JSON.
import { parseCli } from "../cli.ts";

const result = parseCli(Deno.args, {
  usage: "cli_fixture",
  summary: "Prints what parseCli made of its arguments.",
  flags: {
    edge: { type: "boolean", description: "a switch" },
    workers: {
      type: "integer",
      description: "a number",
      default: 4,
      min: 1,
      max: 64,
    },
    mode: {
      type: "string",
      description: "a choice",
      default: "a",
      choices: ["a", "b"],
    },
  },
});
console.log(JSON.stringify(result));
