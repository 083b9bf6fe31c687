/**
 * Every error code of the protocol, in one list: the `code` of a WebSocket
 * `error` reply and the `error` of an HTTP error body. docs/protocol.md
 * says when each is sent; the web client imports them from here.
 */
export const ERROR_CODES = [
  "invalid_json",
  "invalid_message",
  "unknown_action",
  "not_logged_in",
  "already_logged_in",
  "username_invalid",
  "username_taken",
  "bad_credentials",
  "room_name_invalid",
  "room_exists",
  "room_not_found",
  "cannot_leave_general",
  "empty_message",
  "message_too_long",
  "user_not_found",
  "message_not_found",
  "rate_limited",
  "forbidden",
  "banned",
  "invite_invalid",
  "mailbox_full",
  // A private message or invite to an account that ignores the sender.
  "not_accepted",
  "too_many_rooms",
  "too_many_drafts",
  "drafts_too_long",
  // save_message past the account's cap of saved messages.
  "too_many_saved",
  // star of a new room or conversation past the account's cap of stars.
  "too_many_stars",
  // schedule_message past the account's cap of scheduled messages.
  "too_many_scheduled",
  // update_scheduled or cancel_scheduled of none (or one being sent).
  "scheduled_not_found",
  // update_group or delete_group of a group that does not exist.
  "group_not_found",
  // create_group past the server's cap of groups.
  "too_many_groups",
  // create_group or update_group past a group's cap of members.
  "group_full",
  // vote or close_poll on a message that carries no poll.
  "not_a_poll",
  // vote on a poll that close_poll closed.
  "poll_closed",
  "stale_epoch",
  // A write to an archived room (archive_room): it is read only.
  "room_archived",
  // A post by a member to an announcement room (set_room_posting).
  "posting_restricted",
  "internal",
  // HTTP only: a webhook or push URL the server will not call.
  "url_not_allowed",
  // HTTP only: no such page or file.
  "not_found",
  // HTTP only: an upload past the account's --upload-quota.
  "quota_exceeded",
  // HTTP only: an upload that would eat into the --disk-reserve.
  "insufficient_storage",
  // HTTP only: a profile picture whose bytes are no PNG, JPEG, WebP or GIF.
  "not_an_image",
  // A password login of an account with 2FA, right password, no code.
  "totp_required",
  // A wrong or used 2FA code or recovery code.
  "totp_invalid",
  // totp_disable, totp_recovery_codes, reset_totp of an account without 2FA.
  "totp_not_enabled",
  // totp_setup or totp_enable of an account with 2FA on.
  "totp_already_enabled",
  // PUT /api/emoji/:name of a name a custom emoji or a built-in shortcode has.
  "emoji_exists",
  // PUT /api/emoji/:name past the server's cap of custom emoji.
  "too_many_emoji",
  // remove_emoji (or DELETE /api/emoji/:name) of a name no custom emoji has.
  "emoji_not_found",
] as const;

/** An error code; `code` is for programs, the message for people. */
export type ErrorCode = typeof ERROR_CODES[number];
