/**
 * Small settings remembered in localStorage: the device's (language,
 * whether the notification banner was dismissed) and, while signed in, an
 * account's (client/account_storage.ts). Storage can be missing or
 * full (private windows, quotas): every read has a default and every write
 * is best effort.
 */

const PREFIX = "chat.";

/** Reads a remembered string, or null when there is none or storage is unavailable. */
export function readPref(name: string): string | null {
  try {
    return localStorage.getItem(PREFIX + name);
  } catch {
    return null;
  }
}

/** Remembers a string; `null` forgets it. */
export function writePref(name: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(PREFIX + name);
    else localStorage.setItem(PREFIX + name, value);
  } catch {
    // Not remembered: the setting still holds for this page.
  }
}

/** Reads a remembered list of strings (JSON); a broken value reads as empty. */
export function readList(name: string): string[] {
  const raw = readPref(name);
  if (raw === null) return [];
  try {
    const value: unknown = JSON.parse(raw);
    return Array.isArray(value)
      ? value.filter((v): v is string => typeof v === "string")
      : [];
  } catch {
    return [];
  }
}

/** Remembers a list of strings as JSON. */
export function writeList(name: string, values: string[]): void {
  writePref(name, JSON.stringify(values));
}

/** Forgets every remembered setting whose name `matches`. */
export function forgetPrefs(matches: (name: string) => boolean): void {
  try {
    // Collected first: removing while walking by index would skip keys.
    const names: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (key?.startsWith(PREFIX)) names.push(key.slice(PREFIX.length));
    }
    for (const name of names.filter(matches)) {
      localStorage.removeItem(PREFIX + name);
    }
  } catch {
    // No storage: nothing was remembered either.
  }
}
