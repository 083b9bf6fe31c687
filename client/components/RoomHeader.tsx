/** The bar above the messages: drawer toggle, room (or conversation) name, member count, leave. */

import type { JSX } from "preact";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { roomKey } from "../state.ts";
import { Avatar } from "./Avatar.tsx";
import { ExitIcon, MenuIcon, UsersIcon } from "./Icons.tsx";

/** The header of what the middle column shows. */
export function RoomHeader(): JSX.Element {
  const { state, connection } = useApp();
  const room = state.currentRoom.value;
  const shown = state.view.value;
  const count = state.members.value.length;
  async function leave(): Promise<void> {
    const error = await connection.leaveRoom();
    if (error) {
      actions.noticeAdded(state, {
        room: state.viewKey.value,
        kind: "error",
        text: error.message,
      });
    }
  }
  const toggle = (
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
  );
  if (shown.kind === "dm") {
    return (
      <header class="room-header">
        {toggle}
        <Avatar name={shown.with} size="tiny" />
        <h1 class="room-title">
          <span class="room-hash" aria-hidden="true">@</span>
          <span data-testid="current-conversation">{shown.with}</span>
        </h1>
        <span class="room-kind">Direct message</span>
        <button
          type="button"
          class="button ghost header-end"
          aria-label={`Back to #${room}`}
          onClick={() => actions.roomShown(state)}
        >
          <span class="room-hash" aria-hidden="true">#</span>
          <span class="button-text">{room}</span>
        </button>
      </header>
    );
  }
  return (
    <header class="room-header">
      {toggle}
      <h1 class="room-title">
        <span class="room-hash" aria-hidden="true">#</span>
        <span data-testid="current-room">{room}</span>
      </h1>
      <span class="room-members header-end" title="People in this room">
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
