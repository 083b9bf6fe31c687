/** The room list, the private conversations, and the user's own card. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import type { RoomSummary } from "../../server/protocol/types.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { type Conversation, roomKey } from "../state.ts";
import { Avatar } from "./Avatar.tsx";
import { CreateRoomForm } from "./CreateRoomForm.tsx";
import { ExitIcon, LogoIcon, PlusIcon } from "./Icons.tsx";
import { RoleBadge } from "./RoleBadge.tsx";

/** The left column (a drawer on narrow screens). */
export function Sidebar(): JSX.Element {
  const { state, connection } = useApp();
  const creating = useSignal(false);
  const shown = state.view.value;
  const current = shown.kind === "room" ? roomKey(state.currentRoom.value) : "";
  const rooms = sortRooms(state.rooms.value);
  async function join(room: string): Promise<void> {
    const error = await connection.joinRoom(room);
    if (error) {
      actions.noticeAdded(state, {
        room: state.viewKey.value,
        kind: "error",
        text: error.message,
      });
    }
  }
  return (
    <nav id="sidebar" class="sidebar" aria-label="Rooms and conversations">
      <div class="sidebar-brand">
        <span class="brand-mark">
          <LogoIcon />
        </span>
        <span class="brand-name">Chat</span>
      </div>
      <div class="sidebar-scroll">
        <div class="sidebar-section">
          <h2 class="section-title">Rooms</h2>
          <button
            type="button"
            class="icon-button"
            data-testid="create-room"
            aria-label="Create a room"
            title="Create a room"
            aria-expanded={creating.value}
            onClick={() => creating.value = !creating.value}
          >
            <PlusIcon />
          </button>
        </div>
        {creating.value && (
          <CreateRoomForm onDone={() => creating.value = false} />
        )}
        <ul class="room-list" data-testid="room-list">
          {rooms.map((room) => {
            const active = roomKey(room.name) === current;
            return (
              <li key={roomKey(room.name)}>
                <button
                  type="button"
                  class={`room-item${active ? " active" : ""}`}
                  data-testid="room-item"
                  data-room={room.name}
                  aria-current={active ? "page" : undefined}
                  aria-label={`${room.name}, ${room.users} ${
                    room.users === 1 ? "user" : "users"
                  }`}
                  onClick={() => void join(room.name)}
                >
                  <span class="room-hash" aria-hidden="true">#</span>
                  <span class="room-name">{room.name}</span>
                  <span class="room-count" data-testid="room-count">
                    {room.users}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
        <div class="sidebar-section">
          <h2 class="section-title">Direct messages</h2>
        </div>
        <DirectMessages />
      </div>
      <MyCard />
    </nav>
  );
}

/** The private conversations, the most recent first, with unread counts. */
function DirectMessages(): JSX.Element {
  const { state, connection } = useApp();
  const shown = state.view.value;
  const open = shown.kind === "dm" ? roomKey(shown.with) : "";
  const conversations = sortConversations(state.conversations.value);
  if (conversations.length === 0) {
    return (
      <p class="sidebar-empty">
        Click a member's name, or type <kbd>/msg name text</kbd>.
      </p>
    );
  }
  return (
    <ul class="room-list" data-testid="dm-list">
      {conversations.map((c) => {
        const active = roomKey(c.name) === open;
        const unread = c.unread > 0 && !active;
        return (
          <li key={roomKey(c.name)} class="dm-row">
            <button
              type="button"
              class={`room-item dm-item${active ? " active" : ""}${
                unread ? " unread" : ""
              }`}
              data-testid="dm-item"
              data-user={c.name}
              aria-current={active ? "page" : undefined}
              aria-label={unread
                ? `${c.name}, ${c.unread} unread`
                : `Conversation with ${c.name}`}
              onClick={() => void connection.openConversation(c.name)}
            >
              <Avatar name={c.name} size="tiny" />
              <span class="room-name">{c.name}</span>
              {unread && (
                <span class="unread-badge" data-testid="dm-unread">
                  {c.unread > 99 ? "99+" : c.unread}
                </span>
              )}
            </button>
            <button
              type="button"
              class="dm-close"
              aria-label={`Close conversation with ${c.name}`}
              title="Close"
              onClick={() => actions.conversationClosed(state, c.name)}
            >
              ×
            </button>
          </li>
        );
      })}
    </ul>
  );
}

/** The user's own card at the bottom: name, role, status, log out. */
function MyCard(): JSX.Element {
  const { state, connection } = useApp();
  const username = state.username.value ?? "";
  const online = state.status.value.kind === "online";
  const account = state.account.value;
  let status = "Reconnecting…";
  if (online) status = account ? "Online" : "Online · guest";
  return (
    <div class="me" data-testid="me">
      <Avatar name={username} />
      <div class="me-text">
        <span class="me-line">
          <span class="me-name" data-testid="me-name">{username}</span>
          <RoleBadge role={state.role.value} />
        </span>
        <span class={`me-status${online ? " online" : ""}`}>{status}</span>
      </div>
      <button
        type="button"
        class="icon-button"
        data-testid="logout"
        aria-label="Log out"
        title="Log out"
        onClick={() => void connection.logout()}
      >
        <ExitIcon />
      </button>
    </div>
  );
}

/** #general first, then the rest by name. */
function sortRooms(rooms: RoomSummary[]): RoomSummary[] {
  return [...rooms].sort((a, b) => {
    if (roomKey(a.name) === GENERAL_ROOM) return -1;
    if (roomKey(b.name) === GENERAL_ROOM) return 1;
    return a.name.localeCompare(b.name);
  });
}

/** The most recent conversation first. */
function sortConversations(
  conversations: Record<string, Conversation>,
): Conversation[] {
  return Object.values(conversations).sort((a, b) =>
    b.lastTs.localeCompare(a.lastTs) || a.name.localeCompare(b.name)
  );
}
