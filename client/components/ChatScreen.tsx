/** The chat layout: rooms on the left, the room in the middle, members on the right. */

import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { Composer } from "./Composer.tsx";
import { MemberList } from "./MemberList.tsx";
import { MessageList } from "./MessageList.tsx";
import { RoomHeader } from "./RoomHeader.tsx";
import { Sidebar } from "./Sidebar.tsx";

/** The logged-in screen. */
export function ChatScreen(): JSX.Element {
  const { state } = useApp();
  const open = state.drawerOpen.value;
  useEffect(() => {
    if (!open) return;
    function onKey(event: KeyboardEvent): void {
      if (event.key === "Escape") actions.drawerToggled(state, false);
    }
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [open]);
  return (
    <div class={`chat${open ? " drawer-open" : ""}`}>
      <Sidebar />
      <div
        class="scrim"
        aria-hidden="true"
        onClick={() => actions.drawerToggled(state, false)}
      />
      <main class="room" aria-label="Conversation">
        <RoomHeader />
        <div class="room-body">
          <div class="room-main">
            <MessageList />
            <Composer />
          </div>
          {state.view.value.kind === "room" && <MemberList />}
        </div>
      </main>
    </div>
  );
}
