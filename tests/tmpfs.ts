/**
 * A small tmpfs for tests of a full disk: mounted on a fresh folder for one
 * body (root on Linux only; the reason otherwise, for the skip), and filled
 * on demand. Used by disk_full_test.ts and browser_admin_test.ts.
 */

/** Why a tmpfs cannot be mounted here, or undefined when it can. */
export async function mountSkipReason(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "tmpfs mounts are Linux only";
  if (Deno.uid() !== 0) return "mounting a tmpfs needs root";
  const dir = await Deno.makeTempDir();
  try {
    await run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", dir);
    await run("umount", dir);
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs (${(error as Error).message})`;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

async function run(...command: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(command[0], {
    args: command.slice(1),
    stderr: "piped",
    stdout: "null",
  }).output();
  if (code !== 0) throw new Error(new TextDecoder().decode(stderr).trim());
}

/** Runs a body with a 4 MiB tmpfs mounted on a fresh folder. */
export async function withTmpfs(
  body: (dir: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat-tmpfs-" });
  await run("mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", dir);
  try {
    await body(dir);
  } finally {
    await run("umount", "-l", dir);
    await Deno.remove(dir, { recursive: true });
  }
}

/** Writes a file until the file system is full. */
export async function fill(path: string): Promise<void> {
  using file = await Deno.open(path, { write: true, create: true });
  const block = new Uint8Array(16 * 1024);
  try {
    for (;;) await file.write(block);
  } catch {
    // ENOSPC: full.
  }
}
