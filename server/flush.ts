/**
 * Flushing to disk what a power cut must not take away: a file's bytes
 * before it is named, then the folder that holds its new name. Used by
 * backups (backup.ts) and by the files folder (file_contents/disk.ts).
 */

/**
 * Flushes a file: its bytes and metadata, or with `dataOnly` its bytes and
 * only the metadata needed to read them back (fdatasync, one write fewer).
 */
export async function flushFile(
  path: string,
  options: { dataOnly?: boolean } = {},
): Promise<void> {
  using file = await Deno.open(path, { read: true, write: true });
  await (options.dataOnly ? file.syncData() : file.sync());
}

/**
 * Flushes a folder, so that a name made or changed in it survives a power
 * cut, through a descriptor opened to read. Some file systems cannot open
 * or flush a folder: then the rename is as good as it gets there.
 */
export async function flushFolder(path: string): Promise<void> {
  try {
    using folder = await Deno.open(path, { read: true });
    await folder.sync();
  } catch {
    // Best effort.
  }
}
