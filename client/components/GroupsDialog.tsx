/**
 * The Groups dialog, opened from the account menu: the server's user
 * groups (`@design` mentions each member), and a small form to create one
 * or edit one's own (a moderator or an admin: any). Members are typed as
 * names, separated by spaces or commas; the server says which are no
 * account's. Every change reaches every page at once (`group_updated`).
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { MAX_GROUP_DESCRIPTION } from "../../server/protocol/limits.ts";
import { nameKey } from "../../server/protocol/names.ts";
import type { Group } from "../../server/protocol/types.ts";
import { useApp } from "../app_context.ts";
import { t } from "../i18n.ts";
import { Dialog } from "./Dialog.tsx";
import { DialogStatus } from "./DialogFooter.tsx";

/** The names typed in the members field, each once (by name key). */
export function typedNames(text: string): string[] {
  const seen = new Map<string, string>();
  for (const name of text.split(/[\s,]+/)) {
    const bare = name.replace(/^@/, "");
    if (bare !== "" && !seen.has(nameKey(bare))) seen.set(nameKey(bare), bare);
  }
  return [...seen.values()];
}

/** The Groups dialog; `onClose` once dismissed. */
export function GroupsDialog(props: { onClose: () => void }): JSX.Element {
  const { state, connection } = useApp();
  // The group being edited (its name), "" for a new one, null for none.
  const editing = useSignal<string | null>(null);
  const name = useSignal("");
  const description = useSignal("");
  const members = useSignal("");
  const busy = useSignal(false);
  const error = useSignal<string | null>(null);
  const me = state.username.value ?? "";
  const role = state.role.value;
  const mayChange = (group: Group) =>
    role === "admin" || role === "moderator" ||
    (group.creator !== null && nameKey(group.creator) === nameKey(me));
  const groups = Object.values(state.groups.value).sort((a, b) =>
    nameKey(a.name) < nameKey(b.name) ? -1 : 1
  );

  function edit(group: Group | null): void {
    editing.value = group?.name ?? "";
    name.value = group?.name ?? "";
    description.value = group?.description ?? "";
    members.value = group?.members.join(" ") ?? "";
    error.value = null;
  }

  async function run(step: Promise<{ message: string } | null>) {
    busy.value = true;
    const refused = await step;
    busy.value = false;
    error.value = refused?.message ?? null;
    if (!refused) editing.value = null;
  }

  function save(event: Event): void {
    event.preventDefault();
    const typed = typedNames(members.value);
    const was = editing.value
      ? state.groups.value[nameKey(editing.value)]
      : undefined;
    if (!was) {
      void run(connection.createGroup(name.value.trim(), {
        description: description.value,
        members: typed,
      }));
      return;
    }
    const now = new Set(typed.map(nameKey));
    const before = new Set(was.members.map(nameKey));
    void run(connection.updateGroup(was.name, {
      description: description.value,
      add: typed.filter((n) => !before.has(nameKey(n))),
      remove: was.members.filter((n) => !now.has(nameKey(n))),
    }));
  }

  return (
    <Dialog
      title={t("groups.title")}
      testId="groups-dialog"
      size="wide"
      onClose={props.onClose}
    >
      <p class="dialog-note">{t("groups.about")}</p>
      {groups.length === 0
        ? (
          <p class="dialog-note" data-testid="groups-empty">
            {t("groups.none")}
          </p>
        )
        : (
          <ul class="group-list" data-testid="groups-list">
            {groups.map((group) => (
              <li
                key={group.name}
                class="group-row"
                data-testid="group-row"
                data-group={group.name}
              >
                <span class="group-name">@{group.name}</span>
                <span class="group-about">
                  {group.description ||
                    t("completion.group", { n: group.members.length })}
                </span>
                <span class="group-members" data-testid="group-members">
                  {group.members.join(", ")}
                </span>
                {mayChange(group) && (
                  <span class="group-actions">
                    <button
                      type="button"
                      class="button ghost small"
                      data-testid="group-edit"
                      disabled={busy.value}
                      onClick={() => edit(group)}
                    >
                      {t("groups.edit")}
                    </button>
                    <button
                      type="button"
                      class="button ghost small"
                      data-testid="group-delete"
                      disabled={busy.value}
                      onClick={() =>
                        void run(connection.deleteGroup(group.name))}
                    >
                      {t("groups.delete")}
                    </button>
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      {editing.value === null
        ? (
          <div class="dialog-row">
            <button
              type="button"
              class="button primary small"
              data-testid="group-new"
              onClick={() => edit(null)}
            >
              {t("groups.new")}
            </button>
          </div>
        )
        : (
          <form class="dialog-form" onSubmit={save}>
            <label class="field-label" for="group-name">
              {t("groups.name")}
            </label>
            <input
              id="group-name"
              class="field"
              data-testid="group-name"
              data-autofocus
              value={name.value}
              disabled={busy.value || editing.value !== ""}
              onInput={(e) => name.value = e.currentTarget.value}
            />
            <label class="field-label" for="group-description">
              {t("groups.description")}
            </label>
            <input
              id="group-description"
              class="field"
              data-testid="group-description"
              maxLength={MAX_GROUP_DESCRIPTION * 2}
              value={description.value}
              disabled={busy.value}
              onInput={(e) => description.value = e.currentTarget.value}
            />
            <label class="field-label" for="group-members">
              {t("groups.members")}
            </label>
            <input
              id="group-members"
              class="field"
              data-testid="group-members-input"
              value={members.value}
              disabled={busy.value}
              onInput={(e) => members.value = e.currentTarget.value}
            />
            <p class="dialog-note">{t("groups.membersHint")}</p>
            <div class="dialog-row">
              <button
                type="submit"
                class="button primary small"
                data-testid="group-save"
                disabled={busy.value}
              >
                {t("groups.save")}
              </button>
              <button
                type="button"
                class="button ghost small"
                onClick={() => editing.value = null}
              >
                {t("groups.cancel")}
              </button>
            </div>
          </form>
        )}
      <DialogStatus
        text={error.value}
        testId="groups-status"
      />
    </Dialog>
  );
}
