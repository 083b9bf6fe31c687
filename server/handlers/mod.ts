import { removeLinkPreviews } from "./link_previews.ts";
import type { Handler, MemberHandler } from "./context.ts";
import { history, sendMessage } from "./messages.ts";
import {
  createRoom,
  joinRoom,
  leaveRoom,
  listMembers,
  listRooms,
  listUsers,
} from "./rooms.ts";
import { deleteMessage, editMessage } from "./message_updates.ts";
import { ban, deleteRoom, kick, setRole, unban } from "./moderation.ts";
import { listPins, pin } from "./pins.ts";
import { messageEdits } from "./message_edits.ts";
import { privateMessage } from "./private.ts";
import { findPeople } from "./people.ts";
import { react } from "./reactions.ts";
import { closePoll, createPoll, pollChoices, vote } from "./polls.ts";
import { forwardMessage } from "./forward.ts";
import { search } from "./search.ts";
import { login, logout, register } from "./session.ts";
import { changePassword } from "./password.ts";
import { typing } from "./typing.ts";
import { visibility } from "./visibility.ts";
import {
  createInvite,
  invite,
  listInvites,
  removeMember,
  revokeInvite,
} from "./invites.ts";
import { markRead, markUnread } from "./read_state.ts";
import { listDrafts, setDraft } from "./drafts.ts";
import { listSaved, saveMessage, unsaveMessage } from "./saved.ts";
import {
  cancelScheduled,
  listScheduled,
  scheduleMessage,
  updateScheduled,
} from "./scheduled.ts";
import { listMentions } from "./mentions.ts";
import { listReplies } from "./threads.ts";
import { listThreads, markThreadRead } from "./thread_list.ts";
import { setTopic } from "./topics.ts";
import { archiveRoom, unarchiveRoom } from "./archive.ts";
import { setRoomPosting } from "./posting.ts";
import { listNotifyLevels, setNotifyLevel } from "./notify_levels.ts";
import { star, unstar } from "./stars.ts";
import { setSections } from "./sections.ts";
import { setDoNotDisturb } from "./do_not_disturb.ts";
import { getStatus, setStatus } from "./status.ts";
import { getProfile, setProfile } from "./profiles.ts";
import { setEmail } from "./email.ts";
import { setMissedMail } from "./missed_mail.ts";
import { listConversations } from "./conversations.ts";
import { ignoreUser, listIgnored, unignoreUser } from "./ignores.ts";
import { createGroup, deleteGroup, listGroups, updateGroup } from "./groups.ts";
import { auditLog } from "./audit.ts";
import { listEmoji, removeEmoji } from "./emoji.ts";
import {
  deleteAccount,
  listAccounts,
  listAllRooms,
  listBans,
  resetPassword,
  resetTotp,
  updateRoom,
} from "./admin.ts";
import {
  totpDisable,
  totpEnable,
  totpRecoveryCodes,
  totpSetup,
} from "./totp.ts";

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
  list_members: listMembers,
  send_message: sendMessage,
  history,
  private_message: privateMessage,
  kick,
  ban,
  unban,
  delete_room: deleteRoom,
  set_role: setRole,
  typing,
  visibility,
  edit_message: editMessage,
  delete_message: deleteMessage,
  remove_link_previews: removeLinkPreviews,
  logout,
  change_password: changePassword,
  totp_setup: totpSetup,
  totp_enable: totpEnable,
  totp_disable: totpDisable,
  totp_recovery_codes: totpRecoveryCodes,
  mark_read: markRead,
  mark_unread: markUnread,
  set_draft: setDraft,
  list_drafts: listDrafts,
  set_topic: setTopic,
  archive_room: archiveRoom,
  unarchive_room: unarchiveRoom,
  set_room_posting: setRoomPosting,
  set_notify_level: setNotifyLevel,
  list_notify_levels: listNotifyLevels,
  star,
  unstar,
  set_sections: setSections,
  set_do_not_disturb: setDoNotDisturb,
  set_status: setStatus,
  get_status: getStatus,
  set_profile: setProfile,
  get_profile: getProfile,
  set_email: setEmail,
  set_missed_mail: setMissedMail,
  list_conversations: listConversations,
  ignore_user: ignoreUser,
  unignore_user: unignoreUser,
  list_ignored: listIgnored,
  create_group: createGroup,
  update_group: updateGroup,
  delete_group: deleteGroup,
  list_groups: listGroups,
  list_emoji: listEmoji,
  remove_emoji: removeEmoji,
  invite,
  remove_member: removeMember,
  create_invite: createInvite,
  list_invites: listInvites,
  revoke_invite: revokeInvite,
  react,
  create_poll: createPoll,
  forward_message: forwardMessage,
  vote,
  close_poll: closePoll,
  poll_choices: pollChoices,
  pin,
  list_pins: listPins,
  save_message: saveMessage,
  unsave_message: unsaveMessage,
  list_saved: listSaved,
  schedule_message: scheduleMessage,
  list_scheduled: listScheduled,
  update_scheduled: updateScheduled,
  cancel_scheduled: cancelScheduled,
  list_mentions: listMentions,
  list_replies: listReplies,
  message_edits: messageEdits,
  list_threads: listThreads,
  mark_thread_read: markThreadRead,
  search,
  find_people: findPeople,
  audit_log: auditLog,
  list_accounts: listAccounts,
  list_bans: listBans,
  list_all_rooms: listAllRooms,
  reset_password: resetPassword,
  reset_totp: resetTotp,
  delete_account: deleteAccount,
  update_room: updateRoom,
};

/**
 * The moderation and admin actions, also served over HTTP as
 * `/api/admin/<action>` with the same rules; the read-only ones answer GET.
 */
export const ADMIN_ACTIONS: Readonly<Record<string, "GET" | "POST">> = {
  kick: "POST",
  ban: "POST",
  unban: "POST",
  delete_room: "POST",
  set_role: "POST",
  audit_log: "GET",
  list_accounts: "GET",
  list_bans: "GET",
  list_all_rooms: "GET",
  reset_password: "POST",
  reset_totp: "POST",
  delete_account: "POST",
  update_room: "POST",
};

export type { ClientState, RequestContext } from "./context.ts";
