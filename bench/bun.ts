/**
 * Bun, for the second baseline relay (bench/baseline_bun.ts): a bench
 * tool, never a dependency of the server. On first use it is installed
 * from npm (`@oven/bun-linux-x64`, the binary Bun ships there) into
 * bench/.bun, which git ignores; later runs reuse it.
 */
const VERSION = "1.4.4";
const PACKAGE = `@oven/bun-linux-x64@${VERSION}`;
const DIR = new URL("./.bun/", import.meta.url).pathname;
const BIN = `${DIR}node_modules/@oven/bun-linux-x64/bin/bun`;

let found: Promise<string | { missing: string }> | undefined;

async function version(bin: string): Promise<string | undefined> {
  try {
    const out = await new Deno.Command(bin, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return out.success
      ? new TextDecoder().decode(out.stdout).trim()
      : undefined;
  } catch {
    return undefined;
  }
}

async function install(): Promise<string | { missing: string }> {
  if (await version(BIN) === VERSION) return BIN;
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    return { missing: `no ${PACKAGE} for ${Deno.build.target}` };
  }
  console.error(`bench: installing ${PACKAGE} into ${DIR} (once)`);
  try {
    await Deno.mkdir(DIR, { recursive: true });
    const out = await new Deno.Command("npm", {
      args: [
        "install",
        "--no-save",
        "--no-audit",
        "--no-fund",
        "--prefix",
        DIR,
        PACKAGE,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const tail = new TextDecoder().decode(out.stderr).trim().split("\n")
        .slice(-2).join(" ");
      return { missing: `npm install ${PACKAGE} failed: ${tail}` };
    }
  } catch (error) {
    return { missing: `cannot run npm: ${(error as Error).message}` };
  }
  return await version(BIN) === VERSION
    ? BIN
    : { missing: `${BIN} does not run after installing ${PACKAGE}` };
}

/**
 * The path of the Bun binary, installing it on first use; or why there is
 * none (the bench then skips the Bun rows and says so).
 */
export function bunBinary(): Promise<string | { missing: string }> {
  found ??= install();
  return found;
}
