/** The services every component reaches through context: state, connection, notifier. */

import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { Connection } from "./connection/mod.ts";
import type { Notifier } from "./notifier.ts";
import type { AppState } from "./state.ts";

/** What the app gives its components. */
export interface AppServices {
  /** The client state (read it; write it through actions). */
  state: AppState;
  /** The connection to the server. */
  connection: Connection;
  /** Sounds and desktop notifications. */
  notifier: Notifier;
}

/** Carries {@linkcode AppServices} down the component tree. */
export const AppContext = createContext<AppServices | null>(null);

/** The app's services; only valid inside `<AppContext.Provider>`. */
export function useApp(): AppServices {
  const services = useContext(AppContext);
  if (services === null) {
    throw new Error("Cannot use the app outside AppContext.Provider");
  }
  return services;
}
