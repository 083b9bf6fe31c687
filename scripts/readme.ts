/**
 * `deno task readme`: rewrites README's Options table from the settings
 * table (server/settings.ts), between its two marker comments.
 * tests/settings_test.ts fails when README differs from what this writes.
 */
import { readmeOptionsTable } from "../server/command_line.ts";

/** Marks the start of the generated table in README.md. */
export const START_MARK = "<!-- options:start (deno task readme) -->";
/** Marks its end. */
export const END_MARK = "<!-- options:end -->";

/** README's text with the Options table as the settings table says. */
export function withOptionsTable(readme: string): string {
  const start = readme.indexOf(START_MARK);
  const end = readme.indexOf(END_MARK);
  if (start < 0 || end < start) {
    throw new Error(`README.md has no ${START_MARK} ... ${END_MARK} block`);
  }
  return `${
    readme.slice(0, start + START_MARK.length)
  }\n\n${readmeOptionsTable()}\n${readme.slice(end)}`;
}

if (import.meta.main) {
  const path = new URL("../README.md", import.meta.url);
  const before = await Deno.readTextFile(path);
  const after = withOptionsTable(before);
  if (after === before) {
    console.log("README.md: the Options table is up to date");
  } else {
    await Deno.writeTextFile(path, after);
    console.log("README.md: Options table rewritten from server/settings.ts");
  }
}
