/**
 * Notifications: levels by room or conversation, do not disturb, and the
 * browser's permission.
 */

import { batch } from "@preact/signals";
import {
  type AppState,
  type NotifyLevel,
  type NotifyPermission,
  put,
} from "../state.ts";

/**
 * A room's or conversation's notification level changed (here, on another
 * device, or as the server listed it): `mentions`, the default, is kept as
 * no entry.
 */
export function notifyLevelSet(
  state: AppState,
  key: string,
  level: NotifyLevel,
): void {
  batch(() => {
    const levels = { ...state.notifyLevels.value };
    if (level === "mentions") delete levels[key];
    else put(levels, key, level);
    state.notifyLevels.value = levels;
  });
}

/**
 * Until when the account's notifications are paused (here, on another
 * device, or as the login said), null for resumed.
 */
export function doNotDisturbSet(state: AppState, until: number | null): void {
  state.doNotDisturb.value = until;
}

/** The account's levels as the server listed them, replacing what was known. */
export function notifyLevelsListed(
  state: AppState,
  levels: { key: string; level: NotifyLevel }[],
): void {
  const record: Record<string, NotifyLevel> = {};
  for (const { key, level } of levels) {
    if (level !== "mentions") put(record, key, level);
  }
  state.notifyLevels.value = record;
}

/** Records the desktop notification permission. */
export function notifyPermissionChanged(
  state: AppState,
  permission: NotifyPermission,
): void {
  batch(() => {
    state.notifyPermission.value = permission;
  });
}

/** Hides the "enable notifications" banner. */
export function notifyBannerDismissed(state: AppState): void {
  batch(() => {
    state.notifyDismissed.value = true;
  });
}
