/** The bar above the messages: drawer toggle, room name, member count, leave. */

import type { JSX } from "preact";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { roomKey } from "../state.ts";
import { ExitIcon, MenuIcon, UsersIcon } from "./Icons.tsx";

/** The current room's header. */
export function RoomHeader(): JSX.Element {
  const { state, connection } = useApp();
  const room = state.currentRoom.value;
  const count = state.members.value.length;
  async function leave(): Promise<void> {
    const error = await connection.leaveRoom();
    if (error) {
      actions.noticeAdded(state, {
        room: state.currentRoom.value,
        kind: "error",
        text: error.message,
      });
    }
  }
  return (
    <header class="room-header">
      <button
        type="button"
        class="icon-button drawer-toggle"
        aria-label="Show rooms"
        aria-controls="sidebar"
        aria-expanded={state.drawerOpen.value}
        onClick={() => actions.drawerToggled(state)}
      >
        <MenuIcon />
      </button>
      <h1 class="room-title">
        <span class="room-hash" aria-hidden="true">#</span>
        <span data-testid="current-room">{room}</span>
      </h1>
      <span class="room-members" title="People in this room">
        <UsersIcon />
        <span>{count}</span>
      </span>
      {roomKey(room) !== GENERAL_ROOM && (
        <button
          type="button"
          class="button ghost"
          aria-label={`Leave ${room}`}
          onClick={() => void leave()}
        >
          <ExitIcon />
          <span class="button-text">Leave</span>
        </button>
      )}
    </header>
  );
}
