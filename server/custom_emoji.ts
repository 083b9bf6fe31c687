/**
 * Custom emoji (as Slack's, Mattermost's and Zulip's): a team's own
 * pictures, each an upload its store row names (FileStorage.saveEmoji),
 * served at `/emoji/:name`, written `:name:` in messages (the client shows
 * the picture; the text is stored as written) and used as reactions.
 * Clients learn of them with `list_emoji` and of each change from
 * `emoji_updated`, sent to every connection on every node.
 */
import builtInEn from "../static/emoji/en.json" with { type: "json" };
import builtInFr from "../static/emoji/fr.json" with { type: "json" };
import { avatarVersion } from "./avatars.ts";
import type { AuditFacts } from "./handlers/audit.ts";
import type { ChatNode } from "./node.ts";
import { CUSTOM_EMOJI_NAME, REACTION_NAMES } from "./protocol/emoji.ts";
import { fail, type Failure } from "./protocol/errors.ts";
import type { CustomEmoji, EmojiEvent, Role } from "./protocol/types.ts";
import type { NewAuditEntry, StoredEmoji, StoredUpload } from "./store/mod.ts";
export {
  MAX_CUSTOM_EMOJI,
  MAX_EMOJI_BYTES,
  MAX_EMOJI_SIDE,
} from "./protocol/limits.ts";

// Every shortcode of the built-in set, in both languages of the client's
// `:` autocomplete, and the reactions' names: a custom emoji may take none
// (emoji_exists), so that `:name:` always means one thing.
let builtIn: Set<string> | undefined;

/** Whether `name` is a built-in emoji's shortcode (English or French). */
export function isBuiltInShortcode(name: string): boolean {
  if (!builtIn) {
    builtIn = new Set(Object.keys(REACTION_NAMES));
    for (const entry of [...builtInEn, ...builtInFr] as string[][]) {
      for (const code of entry.slice(1)) builtIn.add(code);
    }
  }
  return builtIn.has(name);
}

/** A custom emoji as the protocol shows it (list_emoji, emoji_updated). */
export function shownEmoji(emoji: StoredEmoji): CustomEmoji {
  return {
    name: emoji.name,
    author: emoji.author,
    created_at: new Date(emoji.createdAt).toISOString(),
    // Half its upload's id, as a profile picture's: the whole one would
    // name the upload at `/files/`.
    version: avatarVersion({ id: emoji.uploadId }),
  };
}

/** Tells every connection, on every node, of an emoji added or removed. */
export function publishEmoji(node: ChatNode, event: EmojiEvent): void {
  node.publish({ kind: "everyone" }, "emoji_updated", event);
}

/**
 * The names of the custom emoji the account `authorKey` added: read before
 * its deletion, which keeps them without an author
 * ({@linkcode publishAuthorless}). One read of at most MAX_CUSTOM_EMOJI rows.
 */
export async function emojiAuthoredBy(
  node: ChatNode,
  authorKey: string,
): Promise<string[]> {
  return (await node.store.listEmoji())
    .filter((emoji) => emoji.authorKey === authorKey)
    .map((emoji) => emoji.name);
}

/**
 * Tells every connection, on every node, of the emoji `names` as they are
 * now, after their author's account was deleted (`author` null): open
 * clients (the admin page's list) no longer name the account, whose name
 * is free for someone else. `added` replaces a client's copy. One read of
 * the list; an emoji removed meanwhile is left out (its removal was sent).
 */
export async function publishAuthorless(
  node: ChatNode,
  names: string[],
): Promise<void> {
  if (names.length === 0) return;
  const wanted = new Set(names);
  for (const emoji of await node.store.listEmoji()) {
    if (wanted.has(emoji.name)) {
      publishEmoji(node, { added: shownEmoji(emoji) });
    }
  }
}

/**
 * The custom emoji `name` with its picture's upload, or undefined. A name
 * no emoji may have, as a URL may spell it (a NUL, which PostgreSQL's
 * text refuses with an error: a 500 before attack round 14; capitals;
 * thousands of characters), is not looked up.
 */
export async function findCustomEmoji(
  node: Pick<ChatNode, "store">,
  name: string,
): Promise<(StoredEmoji & { upload: StoredUpload }) | undefined> {
  return CUSTOM_EMOJI_NAME.test(name)
    ? await node.store.findEmoji(name)
    : undefined;
}

/** Who asks to remove a custom emoji. */
export interface EmojiRemover {
  key: string;
  username: string;
  role: Role;
}

/**
 * Removes the custom emoji `name` for `who`, its author or an admin (an
 * admin's removal of another's emoji is audited with `audit`'s entry, in
 * the same commit), and tells everyone; its reactions stay, shown as their `:name:`.
 */
export async function removeCustomEmoji(
  node: ChatNode,
  who: EmojiRemover,
  name: string,
  audit: (facts: AuditFacts) => NewAuditEntry,
): Promise<true | Failure> {
  const emoji = await findCustomEmoji(node, name);
  if (!emoji) return noSuchEmoji(name);
  const own = emoji.authorKey === who.key;
  if (!own && who.role !== "admin") {
    return fail(
      "forbidden",
      `Only its author and admins may remove the emoji :${name}:.`,
    );
  }
  // An admin's removal of another's emoji is in the log, in its commit.
  let entry: NewAuditEntry | undefined;
  if (!own) {
    const facts: AuditFacts = {
      action: "remove_emoji",
      details: { emoji: name },
    };
    if (emoji.author !== null) facts.target = emoji.author;
    entry = audit(facts);
  }
  if (!await node.files.removeEmoji(name, entry)) return noSuchEmoji(name);
  publishEmoji(node, { removed: name });
  return true;
}

/** The refusal of a name no custom emoji has. */
export function noSuchEmoji(name: string): Failure {
  return fail("emoji_not_found", `No custom emoji is called '${name}'.`);
}
