/** The room list with live user counts, the create-room form and the user's own card. */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import type { RoomSummary } from "../../server/protocol/types.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { roomKey } from "../state.ts";
import { Avatar } from "./Avatar.tsx";
import { CreateRoomForm } from "./CreateRoomForm.tsx";
import { ExitIcon, LogoIcon, PlusIcon } from "./Icons.tsx";

/** The left column (a drawer on narrow screens). */
export function Sidebar(): JSX.Element {
  const { state, connection } = useApp();
  const creating = useSignal(false);
  const username = state.username.value ?? "";
  const current = roomKey(state.currentRoom.value);
  const rooms = sortRooms(state.rooms.value);
  async function join(room: string): Promise<void> {
    const error = await connection.joinRoom(room);
    if (error) {
      actions.noticeAdded(state, {
        room: state.currentRoom.value,
        kind: "error",
        text: error.message,
      });
    }
  }
  return (
    <nav id="sidebar" class="sidebar" aria-label="Rooms">
      <div class="sidebar-brand">
        <span class="brand-mark">
          <LogoIcon />
        </span>
        <span class="brand-name">Chat</span>
      </div>
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
      <div class="me">
        <Avatar name={username} />
        <div class="me-text">
          <span class="me-name">{username}</span>
          <span class="me-status">
            {state.status.value.kind === "online" ? "Online" : "Reconnecting…"}
          </span>
        </div>
        <button
          type="button"
          class="icon-button"
          aria-label="Log out"
          title="Log out"
          onClick={() => connection.logout()}
        >
          <ExitIcon />
        </button>
      </div>
    </nav>
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
