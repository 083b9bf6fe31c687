/** The root component: the login screen or the chat, under the connection banner. */

import type { JSX } from "preact";
import { useApp } from "../app_context.ts";
import { ChatScreen } from "./ChatScreen.tsx";
import { ConnectionBanner } from "./ConnectionBanner.tsx";
import { LoginScreen } from "./LoginScreen.tsx";

/** The whole app. */
export function App(): JSX.Element {
  const { state } = useApp();
  return (
    <div class="app">
      <ConnectionBanner />
      {state.username.value === null ? <LoginScreen /> : <ChatScreen />}
    </div>
  );
}
