/** The root component: the login screen or the chat, under the connection banner. */

import type { JSX } from "preact";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { ChatScreen } from "./ChatScreen.tsx";
import { ConnectionBanner } from "./ConnectionBanner.tsx";
import { LogoIcon } from "./Icons.tsx";
import { LoginScreen } from "./LoginScreen.tsx";

/** The whole app. */
export function App(): JSX.Element {
  const { state } = useApp();
  let screen: JSX.Element;
  if (state.username.value !== null) screen = <ChatScreen />;
  else if (state.sessionCheck.value) screen = <Splash />;
  else screen = <LoginScreen />;
  return (
    <div class="app">
      <ConnectionBanner />
      {screen}
    </div>
  );
}

/** Shown while a saved session logs in, instead of flashing the login form. */
function Splash(): JSX.Element {
  return (
    <main class="splash" data-testid="splash" aria-busy="true">
      <div class="splash-mark" aria-hidden="true">
        <LogoIcon />
      </div>
      <p role="status">{t("app.connecting")}</p>
    </main>
  );
}
