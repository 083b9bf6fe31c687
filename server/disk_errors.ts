/**
 * Recognises the errors of storage that cannot take writes: a full or
 * over-quota file system, or a read-only one, whether they come from the
 * runtime (ENOSPC, EROFS) or from SQLite (SQLITE_FULL, SQLITE_READONLY).
 */

/** What is wrong with the storage, or undefined for any other error. */
export function storageProblem(
  error: unknown,
): "full" | "read_only" | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (
      code === "ENOSPC" || code === "EDQUOT" ||
      /No space left|Disk quota|database or disk is full/i.test(e.message)
    ) return "full";
    if (
      code === "EROFS" ||
      /Read-only file system|readonly database/i.test(e.message)
    ) return "read_only";
  }
  return undefined;
}
