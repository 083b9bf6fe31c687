/**
 * A mention added by an edit notifies, as Zulip does (Slack does not): one
 * who fixes "@bbo" into "@bob" meant bob to be told, and a push or a mail
 * is how someone away is. Only the people the new text names that no
 * earlier text of the message named (the text it replaces, and each text
 * its history keeps): a typo fixed in a message that named bob does not
 * page bob again, nor does a name taken out by one edit and put back by
 * the next. Through the rule of every mention (notify_rule.ts, by
 * PushNotifier.mentioned and MissedMail.mentioned).
 *
 * Names only: an `@group`, `@here` or `@room` an edit adds count as the
 * edit says (read state), but push and mail no one. Their audience is
 * read again at each edit (a group's members now, those online now), so
 * telling who is new would need to know whom they reached before, which
 * is not kept; notifying them all again would page a whole group for a
 * typo fixed.
 *
 * Once an edit has dropped the oldest text of the history (past
 * MAX_KEPT_EDITS), an edit notifies no one: a name in a text gone could
 * not be told from a new one, and an author editing a message 50 times
 * is no way to page the same person twice by it.
 */
import { namesSomeone } from "../group_mentions.ts";
import { namedKeys } from "../mentions.ts";
import type { ChatNode } from "../node.ts";
import { MAX_KEPT_EDITS } from "../protocol/limits.ts";
import type { ChatMessage } from "../protocol/types.ts";
import { conversationUsers, type MessageRecord } from "../store/mod.ts";

/**
 * The name keys `text`, the new text of a room message's edit, names that
 * none of its earlier texts did, without its author's; none in a private
 * conversation (a private message notifies as itself, not by names). One
 * store read (the message's history) for a text with an "@", none else.
 * Read before the edit is stored: two edits at the same moment may both
 * take a name as new (a push each, the second replacing the first on the
 * device, by its tag; one mail, the queue keeps a message once).
 */
export async function mentionsAdded(
  node: ChatNode,
  record: MessageRecord,
  text: string,
): Promise<string[]> {
  if (conversationUsers(record.stream) !== undefined) return [];
  if (!namesSomeone(text)) return [];
  const named = namedKeys(text, record.userKey);
  if (named.length === 0) return [];
  const history = await node.store.listEdits(record.message.id);
  if (history.length >= MAX_KEPT_EDITS) return [];
  const before = new Set<string>();
  for (const earlier of [record.message.text, ...history.map((e) => e.text)]) {
    for (const key of namedKeys(earlier, record.userKey)) before.add(key);
  }
  return named.filter((key) => !before.has(key));
}

/** Pushes and mails (if away) a mention to those an edit newly names. */
export function notifyMentionsAdded(
  node: ChatNode,
  record: MessageRecord,
  message: ChatMessage,
  keys: readonly string[],
): void {
  if (keys.length === 0) return;
  const room = { key: record.stream, name: message.room };
  node.push.mentioned(room, message, record.userKey, keys);
  node.missedMail?.mentioned(room, message, record.userKey, keys);
}
