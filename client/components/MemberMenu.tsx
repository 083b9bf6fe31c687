/**
 * The "⋯" menu beside a member: message, ignore or stop ignoring (for
 * accounts), for moderators kick and ban with an optional reason, and
 * for those who manage the room remove from it.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useRef } from "preact/hooks";
import { focusOnMount } from "../dom.ts";
import { GENERAL_ROOM } from "../../server/protocol/types.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { moderate, type Moderation } from "../commands.ts";
import { errorWords } from "../connection/errors.ts";
import { t } from "../i18n.ts";
import { entry, roomKey, roomTitle } from "../state.ts";
import { nameKey } from "../../server/protocol/names.ts";
import { useFocusAfterRender } from "../use_dismiss.ts";
import { MenuButton } from "./MenuButton.tsx";
import { pauseEnd } from "../do_not_disturb.ts";
import { statusLine, statusOfName } from "../status.ts";

/** Props of {@linkcode MemberMenu}. */
export interface MemberMenuProps {
  /** The member it acts on. */
  name: string;
  /** Whether this user may kick and ban this member (a moderator or admin who outranks it). */
  moderator: boolean;
  /** Whether this user may remove this member from the current room (ranks.ts's mayRemoveMember). */
  removable: boolean;
}

/** What the moderator picked, waiting for a reason. */
type Step = "kick" | "ban-room" | "ban-server";

/** A menu button and its popover; the server decides whether the step is allowed. */
export function MemberMenu(
  { name, moderator, removable }: MemberMenuProps,
): JSX.Element {
  const services = useApp();
  const { state, connection } = services;
  const open = useSignal(false);
  const step = useSignal<Step | null>(null);
  const reason = useSignal("");
  const busy = useSignal(false);
  const root = useRef<HTMLDivElement>(null);
  const room = state.currentRoom.value;
  const named = roomTitle(state, room);
  const inGeneral = roomKey(room) === GENERAL_ROOM;

  async function remove(): Promise<void> {
    close();
    const error = await connection.removeMember(room, name);
    actions.noticeAdded(state, {
      room: state.viewKey.value,
      kind: error ? "error" : "info",
      text: error
        ? errorWords(error)
        : () => t("menu.removed", { user: name, room: named }),
    });
    void connection.refreshMembers();
  }

  const ignored = entry(state.ignored.value, nameKey(name)) !== undefined;
  const now = Date.now();
  const status = statusOfName(state, name, now);

  async function toggleIgnore(): Promise<void> {
    close();
    const outcome = await connection.setIgnored(name, !ignored);
    const where = state.viewKey.value;
    if ("error" in outcome) {
      actions.noticeAdded(state, {
        room: where,
        kind: "error",
        text: errorWords(outcome.error),
      });
      return;
    }
    const rooms = outcome.left.join(", ");
    actions.noticeAdded(state, {
      room: where,
      kind: "info",
      text: ignored
        ? () => t("menu.unignored", { user: name })
        : outcome.left.length > 0
        ? () => t("menu.ignoredLeft", { user: name, rooms })
        : () => t("menu.ignored", { user: name }),
    });
  }

  function close(): void {
    open.value = false;
    step.value = null;
    reason.value = "";
  }

  const focusAfter = useFocusAfterRender(root);

  async function confirm(event: Event): Promise<void> {
    event.preventDefault();
    const why = reason.value.trim() || undefined;
    let wanted: Moderation;
    if (step.value === "kick") {
      wanted = { action: "kick", user: name, reason: why };
    } else if (step.value === "ban-room") {
      wanted = { action: "ban", user: name, room, reason: why };
    } else {
      wanted = { action: "ban", user: name, reason: why };
    }
    busy.value = true;
    await moderate(services, wanted);
    busy.value = false;
    close();
  }

  const titles: Record<Step, string> = {
    "kick": t("menu.kickTitle", { name }),
    "ban-room": t("menu.banRoomTitle", { name, room: named }),
    "ban-server": t("menu.banServerTitle", { name }),
  };

  return (
    <MenuButton
      open={open}
      class={`member-menu${open.value ? " open" : ""}`}
      root={root}
      button={{
        class: "icon-button member-more",
        testId: "member-actions",
        label: t("menu.actionsFor", { name }),
      }}
      icon="⋯"
      onClose={close}
      // Its own Escape: on a phone, the member list it sits in stays open.
      dismiss={{ ownEscape: true }}
    >
      {open.value && step.value === null && (
        <div
          class="menu"
          role="menu"
          aria-label={t("menu.actionsFor", { name })}
        >
          {status && (
            <p class="menu-heading member-status" data-testid="member-status">
              {t("status.of", { name, status: statusLine(status) })}
              {status.until !== null &&
                ` (${
                  t("status.until", { time: pauseEnd(status.until, now) })
                })`}
            </p>
          )}
          {state.account.value && (
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid="menu-profile"
              onClick={() => {
                close();
                // The card gives the focus back to what had it: this item
                // goes with the menu, so the menu's button (else Escape
                // dropped the keyboard to the page's body).
                root.current?.querySelector<HTMLElement>("button")?.focus();
                actions.profileCardChanged(state, name);
              }}
            >
              {t("profile.open")}
            </button>
          )}
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            onClick={() => {
              close();
              void connection.openConversation(name);
            }}
          >
            {t("menu.sendMessage")}
          </button>
          {state.account.value && (
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid={ignored ? "menu-unignore" : "menu-ignore"}
              onClick={() => void toggleIgnore()}
            >
              {ignored ? t("menu.unignore") : t("menu.ignore")}
            </button>
          )}
          {removable && (
            <>
              <div class="menu-separator" role="separator" />
              <button
                type="button"
                role="menuitem"
                class="menu-item danger"
                data-testid="menu-remove"
                onClick={() => void remove()}
              >
                {t("menu.remove", { room: named })}
              </button>
            </>
          )}
          {moderator && (
            <>
              <div class="menu-separator" role="separator" />
              <button
                type="button"
                role="menuitem"
                class="menu-item danger"
                data-testid="menu-kick"
                onClick={() => step.value = "kick"}
              >
                {t("menu.kick")}
              </button>
              <button
                type="button"
                role="menuitem"
                class="menu-item danger"
                data-testid="menu-ban-room"
                disabled={inGeneral}
                title={inGeneral ? t("menu.generalBan") : undefined}
                onClick={() => step.value = "ban-room"}
              >
                {t("menu.banRoom")}
              </button>
              <button
                type="button"
                role="menuitem"
                class="menu-item danger"
                data-testid="menu-ban-server"
                onClick={() => step.value = "ban-server"}
              >
                {t("menu.banServer")}
              </button>
            </>
          )}
        </div>
      )}
      {open.value && step.value !== null && (
        <form
          class="menu menu-form"
          aria-label={titles[step.value]}
          onSubmit={(e) => void confirm(e)}
        >
          <p class="menu-title">{titles[step.value]}</p>
          <label class="field-label" for={`reason-${name}`}>
            {t("menu.reason")}
          </label>
          <input
            id={`reason-${name}`}
            class="field small"
            data-testid="moderation-reason"
            maxLength={500}
            placeholder={t("menu.reasonPlaceholder")}
            ref={focusOnMount}
            disabled={busy.value}
            value={reason.value}
            onInput={(e) => reason.value = e.currentTarget.value}
          />
          <div class="menu-actions">
            <button
              type="button"
              class="button ghost"
              data-testid="moderation-back"
              onClick={() => {
                focusAfter(`[data-testid="menu-${step.value}"]`);
                step.value = null;
              }}
            >
              {t("menu.back")}
            </button>
            <button
              type="submit"
              class="button danger"
              data-testid="moderation-confirm"
              disabled={busy.value}
            >
              {step.value === "kick" ? t("menu.kick") : t("menu.ban")}
            </button>
          </div>
        </form>
      )}
    </MenuButton>
  );
}
