/**
 * The only writers of client state. Each action is one batch, so components
 * never render a half-applied change. They live in parts by what they write
 * (client/actions/); this file gathers them, so callers import one module.
 */

export * from "./actions/session.ts";
export * from "./actions/people.ts";
export * from "./actions/groups.ts";
export * from "./actions/custom_emoji.ts";
export * from "./actions/navigation.ts";
export * from "./actions/conversations.ts";
export * from "./actions/messages.ts";
export * from "./actions/rooms.ts";
export * from "./actions/unread.ts";
export * from "./actions/notify.ts";
export * from "./actions/stars.ts";
export * from "./actions/sections.ts";
export * from "./actions/polls.ts";
export * from "./actions/status.ts";
export * from "./actions/avatars.ts";
export * from "./actions/composer.ts";
export * from "./actions/panels.ts";
