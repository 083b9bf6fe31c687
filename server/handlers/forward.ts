/**
 * Forwarding (Slack's "Share message", Mattermost's "Forward"):
 * `forward_message {id, room|with, text?}` sends a new message of the
 * forwarder's to a room it belongs to or to a person, carrying
 * `forwarded`, a copy of the original as the forwarder could read it.
 *
 * The send is `send_message`'s or `private_message`'s own, with every
 * refusal they give (membership, bans, archives, announcement rooms,
 * ignores, full mailboxes): the copy goes in the commit after the append,
 * as a poll does, before the message is answered or published.
 *
 * What the copy tells the target's readers: the original's author, time
 * and text, and where it was said only when that is no secret: a public
 * room's name, or for a private message the other side of the
 * forwarder's own conversation (the forwarder chose to show it). A
 * private room is never named. Its files do not travel: a file follows
 * its message (docs/protocol.md "Files"), so the readers of the forward
 * get no way to the original's files.
 */
import {
  belongsTo,
  findReadable,
  findReadableRoom,
  readerOf,
  roomRefusal,
} from "../access.ts";
import { fail, isFailure, type Outcome } from "../protocol/errors.ts";
import { passedOn } from "../protocol/forwards.ts";
import { nameKey } from "../protocol/names.ts";
import { forwardMessageData } from "../protocol/schemas.ts";
import type {
  DeletedForward,
  ForwardedMessage,
  MessageBase,
  PrivateMessage,
} from "../protocol/types.ts";
import type { ChatNode } from "../node.ts";
import type { Member } from "../registry.ts";
import { conversationUsers, type MessageRecord } from "../store/mod.ts";
import { type MemberContext, parseData } from "./context.ts";
import { noSuchMessage } from "./message_updates.ts";
import { sendMessage } from "./messages.ts";
import { privateMessage } from "./private.ts";

/** `forward_message`: answers `{message}`, the forward as sent. */
export async function forwardMessage(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(forwardMessageData, raw);
  if (isFailure(data)) return data;
  const { node } = ctx;
  const member = ctx.client.member;
  // As an edit answers one it may not read: nothing about the message.
  const record = await findReadable(node, readerOf(member), data.id);
  if (!record) return noSuchMessage(data.id);
  const forwarded = copyOf(node, member, record);
  const text = data.text ?? "";
  if (data.with !== undefined) {
    return await privateMessage(ctx, { to: data.with, text }, { forwarded });
  }
  const room = data.room ?? "";
  const key = await findReadableRoom(node, readerOf(member), room);
  if (key === undefined) {
    return fail("room_not_found", `No room named '${room}'.`);
  }
  // send_message sends to the room the connection looks at, which it is
  // in; another room must be one the account belongs to (as create_poll).
  // A room's ban ended the membership: said as `banned`, as join_room
  // says it (one read more, on this refusal only).
  if (key !== member.roomKey && !await belongsTo(node, member.userKey, key)) {
    return await roomRefusal(node.store, readerOf(member), key) ??
      fail("forbidden", `Join ${room} to forward a message there.`);
  }
  return await sendMessage(inRoom(ctx, key), { text }, { forwarded });
}

/**
 * The copy of `record`'s message a forward by `member` carries; that
 * message's own copy when it is a forward without a text of its own.
 */
function copyOf(
  node: ChatNode,
  member: Member,
  record: MessageRecord,
): ForwardedMessage | DeletedForward {
  const { message } = record;
  const carried = passedOn(message as MessageBase);
  if (carried !== undefined) return carried;
  const copy: ForwardedMessage = {
    id: message.id,
    seq: message.seq,
    user: message.user,
    ts: message.ts,
    text: message.text,
  };
  const users = conversationUsers(record.stream);
  if (users !== undefined) {
    const { to } = message as PrivateMessage;
    copy.with = nameKey(message.user) === member.userKey ? to : message.user;
  } else {
    const info = node.registry.roomInfo(record.stream);
    if (info !== undefined && !info.private) copy.room = info.name;
  }
  const { badge } = message as MessageBase;
  if (badge !== undefined) copy.badge = badge;
  return copy;
}

/**
 * The context of a send to the room `key` from this connection: the
 * connection itself when it looks at that room (a kick or a ban that
 * moves it out is then seen as overtaking the send, as ever); else a view
 * of it in that room. The view's send is still stopped by a ban (the
 * store checks it at the append), an archive and the connection's close;
 * a removal from that room in the moment between the membership check and
 * the commit is not seen, as for `create_poll`.
 */
function inRoom(ctx: MemberContext, key: string): MemberContext {
  const { client } = ctx;
  if (client.member.roomKey === key) return ctx;
  const member: Member = { ...client.member, roomKey: key };
  return {
    node: ctx.node,
    client: {
      id: client.id,
      remoteAddress: client.remoteAddress,
      outbox: client.outbox,
      signal: client.signal,
      get isClosed() {
        return client.isClosed;
      },
      member,
      appendQueued: () => client.appendQueued(),
      disconnect: (code, reason) => client.disconnect(code, reason),
    },
  };
}
