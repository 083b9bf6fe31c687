/**
 * README against the code it describes: the action list of "The protocol
 * in one screen", the Layout block and the tests index. (The Options table
 * has its own test in settings_test.ts.)
 */
import assert from "node:assert/strict";
import { MEMBER_HANDLERS, PUBLIC_HANDLERS } from "../server/handlers/mod.ts";

const ROOT = new URL("../", import.meta.url);
const README = await Deno.readTextFile(new URL("README.md", ROOT));

function exists(path: string): boolean {
  try {
    Deno.statSync(new URL(path, ROOT));
    return true;
  } catch {
    return false;
  }
}

Deno.test("README: the protocol screen lists every action the server handles", () => {
  const paragraph = /^Actions \((\d+)\):([\s\S]*?)HTTP:/m.exec(README);
  assert.ok(paragraph, "README has an 'Actions (N): ... HTTP:' paragraph");
  const listed = [...paragraph[2].matchAll(/`([a-z_]+)`/g)].map((m) => m[1]);
  const handled = [
    ...Object.keys(PUBLIC_HANDLERS),
    ...Object.keys(MEMBER_HANDLERS),
  ];
  assert.deepEqual([...listed].sort(), [...handled].sort());
  assert.equal(Number(paragraph[1]), handled.length);
});

Deno.test("README: the Layout names files that exist, and every file and folder at the top of server/", () => {
  const block = /## Layout\n\n```text\n([\s\S]*?)```/.exec(README)?.[1];
  assert.ok(block, "README has a Layout block");
  const named = new Set<string>();
  let folder = "";
  for (const line of block.split("\n")) {
    if (line.trim() === "") continue;
    const indented = line.startsWith("  ");
    // The names column ends at the first run of two spaces.
    const names = line.trim().split(/ {2,}/)[0].split(", ");
    if (!indented) {
      folder = names.length === 1 && names[0].endsWith("/") ? names[0] : "";
    }
    for (const name of names) {
      named.add(indented ? folder + name : name);
    }
  }
  for (const path of named) assert.ok(exists(path), `${path} does not exist`);
  const server = [...Deno.readDirSync(new URL("server/", ROOT))].map((entry) =>
    `server/${entry.name}${entry.isDirectory ? "/" : ""}`
  );
  const missing = server.filter((path) => !named.has(path));
  assert.deepEqual(missing, [], "add these to README's Layout");
});

Deno.test("README: the tests index names every test file and contract suite, and no other", () => {
  const section = README.split("\n## Tests\n")[1]?.split("\n## ")[0];
  assert.ok(section, "README has a '## Tests' section");
  const listed = [...section.matchAll(/^\| `([\w.]+)`/gm)].map((m) => m[1]);
  const files = [...Deno.readDirSync(new URL("tests/", ROOT))]
    .filter((entry) => entry.isFile && /_(test|contract)\.ts$/.test(entry.name))
    .map((entry) => entry.name);
  assert.deepEqual([...listed].sort(), files.sort());
  assert.equal(new Set(listed).size, listed.length, "a file listed twice");
});
