/**
 * The folders of the browser tests' Chromium launchers
 * (tests/browser_launcher.ts): `chat-chromium-<launcher pid>-…` in the
 * system's temporary folder, each holding its Chromium's profile.
 */

/** How a launcher's folder is named, before its pid. */
export const SCRATCH_PREFIX = "chat-chromium-";

/**
 * Removes the folders of launchers no longer running: a test process
 * kills its launcher as it exits, before the launcher can remove its own.
 * A pid taken again by another process keeps its folder until later.
 */
export function removeGoneScratch(): void {
  const tmp = Deno.env.get("TMPDIR") ?? "/tmp";
  for (const entry of Deno.readDirSync(tmp)) {
    if (!entry.isDirectory || !entry.name.startsWith(SCRATCH_PREFIX)) continue;
    const pid = Number.parseInt(entry.name.slice(SCRATCH_PREFIX.length));
    if (!Number.isInteger(pid) || alive(pid)) continue;
    try {
      Deno.removeSync(`${tmp}/${entry.name}`, { recursive: true });
    } catch {
      // Another test process removing it too.
    }
  }
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
