/** Entry point of the web client: state, connection, then the app into #app. */

import { render } from "preact";
import { AppContext, type AppServices } from "./app_context.ts";
import { App } from "./components/App.tsx";
import { Connection } from "./connection.ts";
import { createAppState } from "./state.ts";

/** Starts the client in the given element; returns the services for debugging. */
export function startClient(root: HTMLElement): AppServices {
  const state = createAppState();
  const connection = new Connection(state);
  const services: AppServices = { state, connection };
  render(
    <AppContext.Provider value={services}>
      <App />
    </AppContext.Provider>,
    root,
  );
  connection.start();
  // The browser knows before our backoff does when the network is back.
  addEventListener("online", () => connection.reconnectNow());
  return services;
}

const root = document.getElementById("app");
if (root) startClient(root);
