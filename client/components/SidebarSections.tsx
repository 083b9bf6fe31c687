/**
 * The account's own sidebar sections (set_sections): each a heading that
 * collapses, with a menu to rename or delete it, over the rooms and
 * conversations it holds; and the sidebar's menu with "New section…".
 */

import { useSignal } from "@preact/signals";
import type { ComponentChildren, JSX } from "preact";
import { useLayoutEffect, useRef } from "preact/hooks";
import {
  type Conversation,
  dmKey,
  entry,
  notifyLevelOf,
  roomKey,
} from "../state.ts";
import type { RoomSummary } from "../../server/protocol/types.ts";
import { MAX_SECTION_NAME } from "../../server/protocol/labels.ts";
import * as actions from "../actions.ts";
import { useApp } from "../app_context.ts";
import { t, tn } from "../i18n.ts";
import {
  collapsedSection,
  renamedSection,
  sectionNamed,
  withoutSection,
  withSection,
} from "../sections.ts";
import type { ShownSection } from "../sidebar_order.ts";
import { FieldError, fieldInvalid } from "./FieldError.tsx";
import { ChevronIcon, MoreIcon } from "./Icons.tsx";
import { MenuButton } from "./MenuButton.tsx";

/** Props of {@linkcode SidebarSections}. */
export interface SidebarSectionsProps {
  sections: ShownSection[];
  /** Draws a section's rooms, as the sidebar draws its others. */
  rooms: (rooms: RoomSummary[], testId: string) => ComponentChildren;
  /** Draws a section's conversations, likewise. */
  talks: (talks: Conversation[], testId: string) => ComponentChildren;
}

/** The sections, in the account's order, above the usual lists. */
export function SidebarSections(props: SidebarSectionsProps): JSX.Element {
  return (
    <>
      {props.sections.map((section, at) => (
        <section
          key={section.name}
          class="user-section"
          data-testid="user-section"
          data-section={section.name}
          aria-labelledby={`user-section-${at}`}
        >
          <SectionHeading section={section} id={`user-section-${at}`} />
          {!section.collapsed && (
            <div id={`user-section-${at}-rows`}>
              {/* An empty list still takes its padding: none drawn. */}
              {section.rooms.length > 0 &&
                props.rooms(section.rooms, "section-room-list")}
              {section.talks.length > 0 &&
                props.talks(section.talks, "section-dm-list")}
              {section.rooms.length + section.talks.length === 0 && (
                <p class="sidebar-empty">{t("sections.empty")}</p>
              )}
            </div>
          )}
        </section>
      ))}
    </>
  );
}

/** A section's heading: a button that collapses it, and its menu. */
function SectionHeading(
  props: { section: ShownSection; id: string },
): JSX.Element {
  const { state, connection } = useApp();
  const { section } = props;
  const open = useSignal(false);
  const renaming = useSignal(false);
  // Collapsed, its rows are not drawn: the heading says it holds unread
  // messages (muted places aside), as Slack's collapsed sections do.
  const unread = section.collapsed
    ? [
      ...section.rooms.map((r) => roomKey(r.name)),
      ...section.talks.map((c) => dmKey(c.name)),
    ]
      .filter((key) => notifyLevelOf(state, key) !== "none")
      .reduce((sum, key) => sum + (entry(state.unread.value, key) ?? 0), 0)
    : 0;
  async function save(layout: typeof state.sections.value): Promise<void> {
    actions.errorShown(state, await connection.setSections(layout));
  }
  if (renaming.value) {
    return (
      <SectionNameForm
        initial={section.name}
        submitLabel={t("sections.save")}
        onDone={() => renaming.value = false}
        onSubmit={(name) =>
          connection.setSections(
            renamedSection(state.sections.value, section.name, name),
          )}
        except={section.name}
      />
    );
  }
  return (
    <div class="sidebar-section">
      <h2 class="section-title" id={props.id}>
        <button
          type="button"
          class={`disclosure${unread > 0 ? " unread" : ""}`}
          data-testid="section-toggle"
          data-unread={unread > 0 ? "true" : undefined}
          aria-expanded={!section.collapsed}
          aria-controls={section.collapsed ? undefined : `${props.id}-rows`}
          onClick={() =>
            void save(
              collapsedSection(
                state.sections.value,
                section.name,
                !section.collapsed,
              ),
            )}
        >
          <ChevronIcon />
          <span class="section-name">{section.name}</span>
          {unread > 0 && (
            <span class="sr-only">, {tn("sidebar.unreadCount", unread)}</span>
          )}
        </button>
      </h2>
      <MenuButton
        open={open}
        class="section-actions section-menu"
        button={{
          class: "icon-button",
          testId: "section-menu",
          label: t("sections.options", { name: section.name }),
          title: t("sections.options", { name: section.name }),
        }}
        icon={<MoreIcon />}
      >
        {open.value && (
          <div class="menu" role="menu" aria-label={section.name}>
            <button
              type="button"
              role="menuitem"
              class="menu-item"
              data-testid="section-rename"
              onClick={() => {
                open.value = false;
                renaming.value = true;
              }}
            >
              {t("sections.rename")}
            </button>
            <button
              type="button"
              role="menuitem"
              class="menu-item danger"
              data-testid="section-delete"
              onClick={() => {
                open.value = false;
                void save(withoutSection(state.sections.value, section.name));
              }}
            >
              {t("sections.delete")}
            </button>
          </div>
        )}
      </MenuButton>
    </div>
  );
}

/**
 * The sidebar's menu (accounts only: a guest's layout would not last):
 * "New section…", whose form the sidebar opens under the heading.
 */
export function SidebarMenu(props: { onNew: () => void }): JSX.Element | null {
  const { state } = useApp();
  const open = useSignal(false);
  if (!state.account.value) return null;
  return (
    <MenuButton
      open={open}
      class="section-menu"
      inline
      button={{
        class: "icon-button",
        testId: "sidebar-menu",
        label: t("sections.menu"),
        title: t("sections.menu"),
      }}
      icon={<MoreIcon />}
    >
      {open.value && (
        <div class="menu" role="menu" aria-label={t("sections.menu")}>
          <button
            type="button"
            role="menuitem"
            class="menu-item"
            data-testid="section-new"
            onClick={() => {
              open.value = false;
              props.onNew();
            }}
          >
            {t("sections.new")}
          </button>
        </div>
      )}
    </MenuButton>
  );
}

/** The form of "New section…": a name, then a new empty section at the end. */
export function NewSectionForm(props: { onDone: () => void }): JSX.Element {
  const { state, connection } = useApp();
  return (
    <SectionNameForm
      initial=""
      submitLabel={t("sections.create")}
      onDone={props.onDone}
      onSubmit={(name) =>
        connection.setSections(withSection(state.sections.value, name))}
    />
  );
}

/**
 * A section's name, new or changed: refused here when another section
 * has it (case aside), else sent; the server's refusal shows under the
 * field. Escape gives up.
 */
function SectionNameForm(
  props: {
    initial: string;
    submitLabel: string;
    onDone: () => void;
    onSubmit: (name: string) => Promise<{ message: string } | null>;
    /** The section being renamed: its own name is not taken. */
    except?: string;
  },
): JSX.Element {
  const { state } = useApp();
  const name = useSignal(props.initial);
  const error = useSignal<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => input.current?.focus(), []);
  async function submit(event: Event): Promise<void> {
    event.preventDefault();
    const wanted = name.value.trim();
    if (wanted === "") return props.onDone();
    const others = state.sections.value.filter((s) => s.name !== props.except);
    if (sectionNamed(others, wanted)) {
      error.value = t("sections.taken");
      return;
    }
    const failure = await props.onSubmit(wanted);
    if (!failure) return props.onDone();
    error.value = failure.message;
    input.current?.focus();
  }
  return (
    <form
      class="create-room"
      data-testid="section-form"
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === "Escape") {
          e.stopPropagation();
          props.onDone();
        }
      }}
    >
      <div class="create-room-row">
        <input
          ref={input}
          {...fieldInvalid("field small", {
            id: "section-name-error",
            error: error.value,
          })}
          data-testid="section-name"
          aria-label={t("sections.name")}
          maxLength={MAX_SECTION_NAME * 2}
          value={name.value}
          onInput={(e) => {
            name.value = e.currentTarget.value;
            error.value = null;
          }}
        />
        <button
          type="submit"
          class="button primary small"
          data-testid="section-save"
        >
          {props.submitLabel}
        </button>
      </div>
      <FieldError
        id="section-name-error"
        testId="section-error"
        error={error.value}
      />
    </form>
  );
}
