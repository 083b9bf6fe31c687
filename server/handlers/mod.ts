import type { Handler, MemberHandler } from "./context.ts";
import { history, sendMessage } from "./messages.ts";
import {
  createRoom,
  joinRoom,
  leaveRoom,
  listRooms,
  listUsers,
} from "./rooms.ts";
import { deleteMessage, editMessage } from "./message_updates.ts";
import { ban, deleteRoom, kick, setRole, unban } from "./moderation.ts";
import { listPins, pin } from "./pins.ts";
import { privateMessage } from "./private.ts";
import { react } from "./reactions.ts";
import { search } from "./search.ts";
import { login, logout, register } from "./session.ts";
import { changePassword } from "./password.ts";
import { typing } from "./typing.ts";
import {
  createInvite,
  invite,
  listInvites,
  removeMember,
  revokeInvite,
} from "./invites.ts";
import { markRead } from "./read_state.ts";

/** Actions a connection may send before it is logged in. */
export const PUBLIC_HANDLERS: Readonly<Record<string, Handler>> = {
  login,
  register,
};

/** Actions of a logged-in connection, one function each. */
export const MEMBER_HANDLERS: Readonly<Record<string, MemberHandler>> = {
  list_rooms: listRooms,
  create_room: createRoom,
  join_room: joinRoom,
  leave_room: leaveRoom,
  list_users: listUsers,
  send_message: sendMessage,
  history,
  private_message: privateMessage,
  kick,
  ban,
  unban,
  delete_room: deleteRoom,
  set_role: setRole,
  typing,
  edit_message: editMessage,
  delete_message: deleteMessage,
  logout,
  change_password: changePassword,
  mark_read: markRead,
  invite,
  remove_member: removeMember,
  create_invite: createInvite,
  list_invites: listInvites,
  revoke_invite: revokeInvite,
  react,
  pin,
  list_pins: listPins,
  search,
};

export type { ClientState, RequestContext } from "./context.ts";
