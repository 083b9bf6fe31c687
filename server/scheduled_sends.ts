/**
 * A scheduled message's send at its time (schedule_message), run by the
 * sweep that claimed it (reminders.ts): through the WebSocket's own send
 * handlers, as its author from no socket, so that the author is checked
 * again exactly as a live send is (a member of the room, not banned, the
 * room not archived, the recipient accepting, the files and the message
 * answered still there). Sent, the account's connections on every node get
 * `scheduled_sent` with the message; refused, `scheduled_failed` with the
 * send's error code, and nothing of it is stored; its browsers get a Web
 * Push of it too when none of its pages is watching, as for a reminder.
 *
 * Exactly once: the send carries a `client_id` made of the scheduled id,
 * and the stores keep a client_id's first message for good (a unique index,
 * across restarts). A sweep that sent and died before it confirmed leaves
 * the row claimed; once its lease runs out another pass finds the message
 * sent already (one indexed read) and only confirms, whatever the checks
 * would say now; a send racing that read is still answered its first copy
 * by the append itself.
 */
import { accountIdentity } from "./accounts/identity.ts";
import { findReadableRoom } from "./access.ts";
import { accountContext } from "./handlers/account_context.ts";
import { sendMessage } from "./handlers/messages.ts";
import { privateMessage } from "./handlers/private.ts";
import type { ChatNode } from "./node.ts";
import { banRefusal } from "./access.ts";
import { fail, type Outcome } from "./protocol/errors.ts";
import { nameKey } from "./protocol/names.ts";
import {
  type Account,
  conversationKey,
  type ScheduledRow,
} from "./store/mod.ts";

/** Checks and sends again at most this many times (access changes). */
const ATTEMPTS = 3;

/**
 * The `client_id` of a scheduled message's send: one per scheduled id,
 * its random part only. Every reader of the message sees its client_id;
 * the id's first ten characters are when it was written, which the
 * readers are not told.
 */
export function scheduledClientId(id: string): string {
  return `scheduled:${id.slice(10)}`;
}

/**
 * Sends a claimed scheduled message as its author, then tells the author.
 * An account gone sends nothing (its rows went with it). Throws when the
 * store fails, or access kept changing under the checks: the claim is then
 * not confirmed, and is tried again once its lease runs out.
 */
export async function sendScheduled(
  node: ChatNode,
  row: ScheduledRow,
): Promise<void> {
  const account = await node.store.findAccount(row.userKey);
  if (!account) return;
  const author = { kind: "user" as const, key: account.key };
  const clientId = scheduledClientId(row.id);
  const stream = row.roomKey ??
    conversationKey(account.key, nameKey(row.to ?? ""));
  const first = await node.store.findFirstSent(stream, {
    userKey: account.key,
    sender: accountIdentity(account),
    clientId,
  });
  if (first !== undefined) {
    const message = row.to === undefined ? first : node.files.signed(first);
    node.publish(author, "scheduled_sent", { id: row.id, message });
    return;
  }
  const outcome = await attempt(node, account, row, clientId);
  if (!outcome.ok && outcome.code === "internal") {
    throw new Error(`The send of ${row.id} was overtaken: ${outcome.message}`);
  }
  if (!outcome.ok) {
    node.publish(author, "scheduled_failed", {
      id: row.id,
      code: outcome.code,
    });
    node.push.scheduledFailed(account.key, {
      id: row.id,
      sender: account.username,
      ...(row.to === undefined ? {} : { to: row.to }),
      ...(row.room === undefined ? {} : { room: row.room }),
      text: row.text,
      ...(row.attachments === undefined
        ? {}
        : { attachments: row.attachments }),
      code: outcome.code,
    });
    return;
  }
  outcome.after?.();
  const { message } = outcome.data as { message: unknown };
  node.publish(author, "scheduled_sent", { id: row.id, message });
}

/**
 * The send's outcome: checked and sent again (as sendAsCaller does) when
 * an access change on this node overtook it.
 */
async function attempt(
  node: ChatNode,
  account: Account,
  row: ScheduledRow,
  clientId: string,
): Promise<Outcome> {
  const data = {
    text: row.text,
    client_id: clientId,
    ...(row.attachments === undefined ? {} : { attachments: row.attachments }),
    ...(row.replyTo === undefined ? {} : { reply_to: row.replyTo }),
  };
  let outcome: Outcome = fail("internal", "Not tried.");
  for (let i = 0; i < ATTEMPTS; i++) {
    const since = node.accessChanges;
    const options = { signal: NEVER, since };
    // A server ban refuses every send: the live one's socket was closed.
    const ban = await node.store.findBan({ userKey: account.key });
    if (ban) return banRefusal(ban);
    if (row.to !== undefined) {
      // The person it was written to: a name freed (the account deleted)
      // and taken since is a stranger's, who must not read it. One read
      // by key more.
      const recipient = await node.accounts.find(row.to);
      if (recipient === undefined || recipient.createdAt > row.createdAt) {
        return fail("user_not_found", `Nobody is called '${row.to}'.`);
      }
      const ctx = accountContext(node, account, "", options);
      outcome = await privateMessage(ctx, { ...data, to: row.to });
    } else {
      const reader = { userKey: account.key, since: account.createdAt };
      const key = await findReadableRoom(node, reader, row.room ?? "");
      // Renamed or made again since: another room than the one written to.
      if (
        key === undefined || key !== row.roomKey ||
        !await node.store.isMember(account.key, key)
      ) {
        return fail(
          "room_not_found",
          `You are no longer a member of '${row.room}'.`,
        );
      }
      outcome = await sendMessage(
        accountContext(node, account, key, options),
        data,
      );
    }
    if (outcome.ok || outcome.code !== "internal") return outcome;
    if (node.accessChanges === since) return outcome;
  }
  return outcome;
}

// Nobody waits on a sweep's send to go away.
const NEVER = new AbortController().signal;
