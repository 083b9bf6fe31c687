/**
 * `deno task lookalikes`: rewrites client/ascii_lookalikes.ts from
 * unhomoglyph's table (Unicode's confusables.txt, the one user names use:
 * server/protocol/skeleton.ts). The web client needs only one fact of its
 * 6,300 rows: which letters read as plain ASCII. The whole table would add
 * 118 KB to the bundle (docs/performance.md took it out once); this one is
 * a few KB. tests/client_links_test.ts fails when the file differs from
 * what this writes, so an unhomoglyph update cannot leave it behind.
 */
import unhomoglyph from "unhomoglyph";

const TARGET = new URL("../client/ascii_lookalikes.ts", import.meta.url);

/**
 * The code points, outside ASCII, whose confusable prototype is made of
 * what an ASCII host label is made of (letters, digits, hyphen): Cyrillic
 * `а`, Latin `ɑ`, Greek `ο`. Those a host's normalization (NFKC) changes
 * are left out: a host never holds them.
 */
export function asciiLookalikes(): number[] {
  const found: number[] = [];
  for (let code = 0x80; code <= 0x10ffff; code++) {
    if (code >= 0xd800 && code <= 0xdfff) continue;
    const char = String.fromCodePoint(code);
    if (char.normalize("NFKC") !== char) continue;
    const prototype = unhomoglyph(char);
    if (prototype !== char && /^[A-Za-z0-9-]+$/.test(prototype)) {
      found.push(code);
    }
  }
  return found;
}

/** The module's text: the code points as a regular expression's class of ranges. */
export function lookalikesModule(codes: number[]): string {
  const ranges: string[] = [];
  for (let i = 0; i < codes.length;) {
    let j = i;
    while (j + 1 < codes.length && codes[j + 1] === codes[j] + 1) j++;
    const hex = (n: number) => `\\u{${n.toString(16)}}`;
    ranges.push(i === j ? hex(codes[i]) : `${hex(codes[i])}-${hex(codes[j])}`);
    i = j + 1;
  }
  const lines: string[] = [];
  let line = "";
  for (const range of ranges) {
    if (line.length + range.length > 72) {
      lines.push(line);
      line = "";
    }
    line += range;
  }
  lines.push(line);
  return `/**
 * Written by \`deno task lookalikes\` (scripts/lookalikes.ts) from
 * unhomoglyph's confusables: do not edit. The ${codes.length} characters
 * outside ASCII that read as ASCII letters, digits or a hyphen.
 */
export const ASCII_LOOKALIKE = new RegExp(
  "[" +
${lines.map((l) => `    "${l.replaceAll("\\", "\\\\")}"`).join(" +\n")} +
    "]",
  "u",
);
`;
}

if (import.meta.main) {
  const text = lookalikesModule(asciiLookalikes());
  await Deno.writeTextFile(TARGET, text);
  console.log(`wrote ${TARGET.pathname}`);
}
