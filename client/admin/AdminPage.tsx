/**
 * `/admin`: accounts, rooms, bans, bots, the audit log and live figures.
 * Admins see everything; moderators the sections and buttons they may use;
 * anyone else is sent to sign in. User text is rendered as text.
 */

import { useSignal } from "@preact/signals";
import type { JSX } from "preact";
import { useEffect } from "preact/hooks";
import { nameKey } from "../../server/protocol/names.ts";
import { mayActOn } from "../../server/protocol/ranks.ts";
import type { Role } from "../../server/protocol/types.ts";
import { type MessageKey, roleName, t, tn } from "../i18n.ts";
import type {
  AccountRow,
  AuditRow,
  BanRow,
  Figures as FiguresRead,
  RoomRow,
} from "./api.ts";
import { Bots } from "./Bots.tsx";
import { ConfirmButton } from "./ConfirmButton.tsx";
import type { AdminService } from "./service.ts";
import type { AdminState, AdminTab } from "./state.ts";
import { entry } from "../state.ts";

/** What every part of the page gets. */
interface PageProps {
  state: AdminState;
  service: AdminService;
}

const TABS: { tab: AdminTab; label: MessageKey; adminOnly: boolean }[] = [
  { tab: "accounts", label: "admin.accounts", adminOnly: false },
  { tab: "rooms", label: "admin.rooms", adminOnly: false },
  { tab: "bans", label: "admin.bans", adminOnly: false },
  { tab: "emoji", label: "emoji.adminTitle", adminOnly: true },
  { tab: "bots", label: "admin.bots", adminOnly: true },
  { tab: "audit", label: "admin.audit", adminOnly: true },
];

/** Ban lengths offered, in seconds; undefined for good. */
const DURATIONS: { seconds?: number; label: MessageKey }[] = [
  { seconds: 3600, label: "admin.hour" },
  { seconds: 86400, label: "admin.day" },
  { seconds: 7 * 86400, label: "admin.week" },
  { label: "admin.forever" },
];

/** The whole admin page. */
export function AdminPage({ state, service }: PageProps): JSX.Element {
  const session = state.session.value;
  if (session === undefined) {
    return (
      <main class="admin-page">
        <p>{t("app.connecting")}</p>
      </main>
    );
  }
  if (session === null || session.role === "user") {
    return (
      <main class="admin-page">
        <h1>{t("admin.title")}</h1>
        <p class="admin-refused" role="alert" data-testid="admin-refused">
          {t("admin.refused")}
        </p>
        <a href="/">{t("admin.back")}</a>
      </main>
    );
  }
  return (
    <main class="admin-page" data-testid="admin-page">
      <header class="admin-header">
        <h1>{t("admin.title")}</h1>
        <span class="admin-who">
          {t("admin.signedIn", {
            user: session.username,
            role: roleName(session.role),
          })}
        </span>
        <a href="/">{t("admin.back")}</a>
      </header>
      <Figures state={state} />
      <Tabs state={state} service={service} />
      <Notice state={state} />
      <div
        role="tabpanel"
        id="admin-tabpanel"
        aria-labelledby={`admin-tab-${state.tab.value}`}
      >
        {state.tab.value === "accounts" && (
          <Accounts state={state} service={service} />
        )}
        {state.tab.value === "rooms" && (
          <Rooms state={state} service={service} />
        )}
        {state.tab.value === "bans" && <Bans state={state} service={service} />}
        {state.tab.value === "emoji" && (
          <EmojiList state={state} service={service} />
        )}
        {state.tab.value === "bots" && <Bots state={state} service={service} />}
        {state.tab.value === "audit" && (
          <Audit state={state} service={service} />
        )}
      </div>
    </main>
  );
}

/** The keys that move between tabs, as a step or an end. */
const TAB_KEYS: Record<string, number | "first" | "last"> = {
  ArrowRight: 1,
  ArrowLeft: -1,
  Home: "first",
  End: "last",
};

/**
 * The tabs, as WAI-ARIA's tabs pattern has them: one stop for Tab (the
 * chosen tab; the next Tab goes into its panel), the arrows, Home and End
 * move between them and open the one reached. Before, each tab was a stop
 * of its own and the arrows did nothing, where a screen reader's user,
 * told "tab 1 of 5", presses them.
 */
function Tabs({ state, service }: PageProps): JSX.Element {
  const tabs = TABS.filter((tab) => state.isAdmin.value || !tab.adminOnly);
  function onKeyDown(event: KeyboardEvent): void {
    const move = TAB_KEYS[event.key];
    if (move === undefined) return;
    event.preventDefault();
    const at = tabs.findIndex(({ tab }) => tab === state.tab.value);
    const to = move === "first"
      ? 0
      : move === "last"
      ? tabs.length - 1
      : (at + move + tabs.length) % tabs.length;
    const { tab } = tabs[to];
    document.getElementById(`admin-tab-${tab}`)?.focus();
    void service.open(tab);
  }
  return (
    <div
      class="admin-tabs"
      role="tablist"
      aria-label={t("admin.title")}
      onKeyDown={onKeyDown}
    >
      {tabs.map(({ tab, label }) => {
        const chosen = state.tab.value === tab;
        return (
          <button
            type="button"
            role="tab"
            key={tab}
            id={`admin-tab-${tab}`}
            data-testid={`admin-tab-${tab}`}
            aria-selected={chosen}
            aria-controls="admin-tabpanel"
            tabIndex={chosen ? 0 : -1}
            onClick={() => void service.open(tab)}
          >
            {t(label)}
          </button>
        );
      })}
    </div>
  );
}

// A full or read-only disk says so: "down" alone reads as the store's
// failure, when the fix is the operator's (free space, remount).
function storeText(figures: FiguresRead | undefined): string {
  if (!figures) return "…";
  if (figures.storage === "full") return t("admin.storeFull");
  if (figures.storage === "read_only") return t("admin.storeReadOnly");
  return figures.store;
}

function Figures({ state }: { state: AdminState }): JSX.Element {
  const now = state.figures.value.at(-1);
  const rate = state.messagesPerMinute.value;
  const items: [MessageKey, string][] = [
    ["admin.connections", String(now?.connections ?? "…")],
    ["admin.online", String(now?.users ?? "…")],
    ["admin.roomCount", String(now?.rooms ?? "…")],
    ["admin.perMinute", rate === null ? "…" : String(rate)],
    ["admin.store", storeText(now)],
    ["admin.redis", now?.redis ?? "…"],
  ];
  return (
    <dl class="admin-figures" aria-label={t("admin.figures")}>
      {items.map(([label, value]) => (
        <div
          key={label}
          class="admin-figure"
          data-testid="admin-figure"
          data-figure={label.slice("admin.".length)}
        >
          <dt>{t(label)}</dt>
          <dd>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Notice({ state }: { state: AdminState }): JSX.Element | null {
  const notice = state.notice.value;
  const link = state.resetLink.value;
  return (
    <>
      {notice && (
        <p
          data-testid={`admin-notice-${notice.kind}`}
          class={`admin-notice ${notice.kind}`}
          role={notice.kind === "error" ? "alert" : "status"}
        >
          {notice.text}
        </p>
      )}
      {link && (
        <p class="admin-notice ok" role="status">
          {/* Its sentence names the field, for a screen reader too. */}
          <label for="admin-reset-link">
            {t("admin.resetFor", { user: link.user })}
          </label>{" "}
          <input
            id="admin-reset-link"
            data-testid="admin-reset-link"
            class="admin-reset-link"
            readOnly
            value={link.url}
            onFocus={(e) => e.currentTarget.select()}
          />
        </p>
      )}
    </>
  );
}

function Accounts({ state, service }: PageProps): JSX.Element {
  const selected = useSignal<string | null>(null);
  const chosen = state.accounts.value.find((a) =>
    a.username === selected.value
  );
  return (
    <section class="admin-section" aria-label={t("admin.accounts")}>
      <form
        class="admin-search"
        onSubmit={(e) => {
          e.preventDefault();
          void service.searchAccounts();
        }}
      >
        <input
          type="search"
          data-testid="admin-search"
          aria-label={t("admin.search")}
          placeholder={t("admin.search")}
          value={state.accountQuery.value}
          onInput={(e) => state.accountQuery.value = e.currentTarget.value}
        />
        <button type="submit" data-testid="admin-find">
          {t("admin.find")}
        </button>
      </form>
      <ul class="admin-list">
        {state.accounts.value.map((account) => (
          <li key={account.username}>
            <button
              type="button"
              class="admin-row"
              data-testid="admin-account"
              data-user={account.username}
              aria-pressed={selected.value === account.username}
              onClick={() => selected.value = account.username}
            >
              <span class="admin-name">{account.username}</span>
              <span class={`admin-role ${account.role}`}>
                {roleName(account.role)}
              </span>
              {account.banned && (
                <span class="admin-banned">{t("admin.banned")}</span>
              )}
            </button>
          </li>
        ))}
      </ul>
      {chosen && (
        <AccountPanel
          key={chosen.username}
          account={chosen}
          state={state}
          service={service}
        />
      )}
    </section>
  );
}

function AccountPanel(
  { account, state, service }: PageProps & { account: AccountRow },
): JSX.Element {
  const reason = useSignal("");
  const duration = useSignal(0);
  const role = useSignal<Role>(account.role);
  const messages = useSignal<"keep" | "anonymise">("keep");
  const user = account.username;
  // Nobody acts on themselves or on an equal or a higher rank (the server
  // refuses); lifting a ban needs no rank.
  const session = state.session.value;
  const acts = session != null &&
    nameKey(user) !== nameKey(session.username) &&
    mayActOn(session.role, account.role);
  const admin = state.isAdmin.value && acts;
  return (
    <div
      class="admin-panel"
      data-testid="admin-account-panel"
      aria-label={t("admin.accountOf", { user })}
    >
      <h2>{user}</h2>
      {admin && (
        <div class="admin-line">
          <label>
            {t("admin.role")}{" "}
            <select
              data-testid="admin-role"
              value={role.value}
              onChange={(e) => role.value = e.currentTarget.value as Role}
            >
              <option value="user">{roleName("user")}</option>
              <option value="moderator">{roleName("moderator")}</option>
              <option value="admin">{roleName("admin")}</option>
            </select>
          </label>
          <button
            type="button"
            data-testid="admin-set-role"
            onClick={() => void service.setRole(user, role.value)}
          >
            {t("admin.setRole")}
          </button>
        </div>
      )}
      {(account.banned || acts) && (
        <div class="admin-line">
          {account.banned
            ? (
              <button
                type="button"
                data-testid="admin-unban"
                onClick={() => void service.unban(user)}
              >
                {t("admin.unban")}
              </button>
            )
            : acts && (
              <>
                <input
                  data-testid="admin-ban-reason"
                  aria-label={t("admin.reason")}
                  placeholder={t("admin.reason")}
                  maxLength={500}
                  value={reason.value}
                  onInput={(e) => reason.value = e.currentTarget.value}
                />
                <select
                  data-testid="admin-ban-duration"
                  aria-label={t("admin.duration")}
                  value={duration.value}
                  onChange={(e) =>
                    duration.value = Number(e.currentTarget.value)}
                >
                  {DURATIONS.map((d, i) => (
                    <option key={i} value={i}>{t(d.label)}</option>
                  ))}
                </select>
                <button
                  type="button"
                  class="danger"
                  data-testid="admin-ban"
                  onClick={() =>
                    void service.ban(
                      user,
                      reason.value,
                      DURATIONS[duration.value].seconds,
                    )}
                >
                  {t("admin.ban")}
                </button>
              </>
            )}
        </div>
      )}
      {admin && (
        <div class="admin-line">
          <button
            type="button"
            data-testid="admin-reset-password"
            onClick={() => void service.resetPassword(user)}
          >
            {t("admin.resetLink")}
          </button>
          <ConfirmButton
            label={t("admin.resetTotp")}
            testId="admin-reset-totp"
            onConfirm={() => void service.resetTotp(user)}
          />
        </div>
      )}
      {admin && (
        <div class="admin-line">
          <select
            data-testid="admin-delete-messages"
            aria-label={t("admin.messages")}
            value={messages.value}
            onChange={(e) =>
              messages.value = e.currentTarget.value as "keep" | "anonymise"}
          >
            <option value="keep">{t("admin.keep")}</option>
            <option value="anonymise">{t("admin.anonymise")}</option>
          </select>
          <ConfirmButton
            label={t("admin.deleteAccount")}
            testId="admin-delete-account"
            onConfirm={() => void service.deleteAccount(user, messages.value)}
          />
        </div>
      )}
    </div>
  );
}

/** A text field and the button that acts on what it holds (trimmed). */
function FieldAction(
  { field, label, number, button, action, onAct }: {
    field: string;
    label: string;
    number?: boolean;
    button: string;
    action: string;
    onAct: (value: string) => void;
  },
): JSX.Element {
  const value = useSignal("");
  // One group, so a narrow screen wraps the field and its button together.
  return (
    <span class="admin-field-action">
      <input
        data-testid={field}
        type={number ? "number" : "text"}
        min={number ? "0" : undefined}
        aria-label={label}
        placeholder={label}
        value={value.value}
        onInput={(e) => value.value = e.currentTarget.value}
      />
      <button
        type="button"
        data-testid={button}
        onClick={() => onAct(value.value.trim())}
      >
        {action}
      </button>
    </span>
  );
}

function Rooms({ state, service }: PageProps): JSX.Element {
  return (
    <section class="admin-section" aria-label={t("admin.rooms")}>
      <ul class="admin-list">
        {state.rooms.value.map((room) => (
          <RoomItem
            key={room.name}
            room={room}
            state={state}
            service={service}
          />
        ))}
      </ul>
    </section>
  );
}

function RoomItem(
  { room, state, service }: PageProps & { room: RoomRow },
): JSX.Element {
  const admin = state.isAdmin.value;
  const general = room.name.toLowerCase() === "general";
  // A room someone else owns is deleted by its owner's peers and betters
  // only (a guest's room has no owner); the server refuses the rest.
  const session = state.session.value;
  const owner = room.owner;
  const deletable = !general && session != null &&
    (owner === undefined || owner === nameKey(session.username) ||
      mayActOn(session.role, entry(state.staff.value, owner) ?? "user", {
        equal: true,
      }));
  return (
    <li
      class="admin-room"
      data-testid="admin-room"
      data-room={room.name}
      aria-label={room.name}
    >
      <span class="admin-name">{room.name}</span>
      <span class="admin-meta">
        {t("admin.users", { n: room.users })}
        {room.private ? ` · ${t("admin.private")}` : ""}
        {room.archived ? ` · ${t("admin.archived")}` : ""}
        {room.posting === "moderators" ? ` · ${t("admin.announcements")}` : ""}
        {room.owner ? ` · ${t("admin.ownedBy", { user: room.owner })}` : ""}
        {` · ${
          room.retention_days === undefined
            ? t("admin.retentionDefault")
            : room.retention_days === 0
            ? t("admin.retentionForever")
            : tn("admin.retentionFor", room.retention_days)
        }`}
      </span>
      {room.topic !== undefined && (
        <span class="admin-topic" data-testid="admin-room-topic">
          {room.topic}
        </span>
      )}
      {admin && (
        // general too: a server's announcements are often made there.
        <button
          type="button"
          data-testid="admin-room-posting"
          onClick={() =>
            void service.updateRoom(room.name, {
              posting: room.posting === "moderators"
                ? "everyone"
                : "moderators",
            })}
        >
          {room.posting === "moderators"
            ? t("admin.postingEveryone")
            : t("admin.postingModerators")}
        </button>
      )}
      {admin && !general && (
        <>
          <button
            type="button"
            data-testid="admin-room-private"
            onClick={() =>
              void service.updateRoom(room.name, { private: !room.private })}
          >
            {room.private ? t("admin.makePublic") : t("admin.makePrivate")}
          </button>
          <button
            type="button"
            data-testid="admin-room-archive"
            onClick={() =>
              void service.updateRoom(room.name, {
                archived: !room.archived,
              })}
          >
            {room.archived ? t("admin.unarchive") : t("admin.archive")}
          </button>
          <FieldAction
            field="admin-room-owner"
            label={t("admin.owner")}
            button="admin-room-set-owner"
            action={t("admin.setOwner")}
            onAct={(owner) => void service.updateRoom(room.name, { owner })}
          />
          <FieldAction
            field="admin-room-name"
            label={t("admin.newName")}
            button="admin-room-rename"
            action={t("admin.rename")}
            onAct={(name) =>
              name !== "" && void service.updateRoom(room.name, { name })}
          />
          <FieldAction
            field="admin-room-retention"
            label={t("admin.retentionDays")}
            number
            button="admin-room-set-retention"
            action={t("admin.setRetention")}
            onAct={(days) =>
              void service.updateRoom(room.name, {
                retentionDays: days === "" ? null : Number(days),
              })}
          />
        </>
      )}
      {deletable && (
        <ConfirmButton
          label={t("admin.deleteRoom")}
          testId="admin-delete-room"
          onConfirm={() => void service.deleteRoom(room.name)}
        />
      )}
    </li>
  );
}

function Bans({ state, service }: PageProps): JSX.Element {
  const bans = state.bans.value;
  if (bans.length === 0) {
    return (
      <p class="admin-empty" data-testid="admin-no-bans">{t("admin.noBans")}</p>
    );
  }
  return (
    <section class="admin-section" aria-label={t("admin.bans")}>
      <ul class="admin-list">
        {bans.map((ban: BanRow) => (
          <li
            key={`${ban.user}/${ban.room ?? ""}/${ban.address ?? ""}`}
            class="admin-ban"
            data-testid="admin-ban-row"
            data-user={ban.user}
          >
            <span class="admin-name">{ban.user}</span>
            <span class="admin-meta">
              {ban.room ?? t("admin.server")}
              {ban.address ? ` · ${ban.address}` : ""} · {ban.reason} ·{" "}
              {t("admin.by", { user: ban.by })} · {when(ban.created_at)} →{" "}
              {ban.expires_at ? when(ban.expires_at) : t("admin.forever")}
            </span>
            {!ban.address && (
              <button
                type="button"
                onClick={() => void service.unban(ban.user, ban.room)}
              >
                {t("admin.unban")}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** The custom emoji, each with its picture, author and a remove button. */
function EmojiList({ state, service }: PageProps): JSX.Element {
  const emoji = state.emoji.value;
  if (emoji.length === 0) {
    return (
      <p class="admin-empty" data-testid="admin-no-emoji">{t("emoji.none")}</p>
    );
  }
  return (
    <section class="admin-section" aria-label={t("emoji.adminTitle")}>
      <ul class="admin-list">
        {emoji.map((one) => (
          <li
            key={one.name}
            class="admin-emoji"
            data-testid="admin-emoji-row"
            data-name={one.name}
          >
            <img
              class="custom-emoji"
              src={`/emoji/${encodeURIComponent(one.name)}?v=${one.version}`}
              alt={`:${one.name}:`}
              title={`:${one.name}:`}
            />
            <span class="admin-name">:{one.name}:</span>
            <span class="admin-meta">
              {one.author !== null &&
                `${t("emoji.by", { user: one.author })} · `}
              {when(one.created_at)}
            </span>
            <button
              type="button"
              data-testid="admin-emoji-remove"
              aria-label={t("emoji.removeLabel", { name: one.name })}
              onClick={() => void service.removeEmoji(one.name)}
            >
              {t("emoji.remove")}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function Audit({ state, service }: PageProps): JSX.Element {
  return (
    <section class="admin-section" aria-label={t("admin.audit")}>
      <table class="admin-audit" data-testid="admin-audit">
        <thead>
          <tr>
            <th>{t("admin.when")}</th>
            <th>{t("admin.who")}</th>
            <th>{t("admin.what")}</th>
            <th>{t("admin.whom")}</th>
            <th>{t("admin.reason")}</th>
            <th>{t("admin.address")}</th>
          </tr>
        </thead>
        <tbody>
          {state.audit.value.map((entry) => (
            <AuditLine key={entry.id} entry={entry} />
          ))}
        </tbody>
      </table>
      {state.auditNext.value !== undefined && (
        <button
          type="button"
          data-testid="admin-audit-older"
          onClick={() => void service.loadAudit(true)}
        >
          {t("admin.older")}
        </button>
      )}
    </section>
  );
}

function AuditLine({ entry }: { entry: AuditRow }): JSX.Element {
  const whom = [entry.target, entry.room].filter(Boolean).join(" · ");
  const details = entry.details
    ? Object.entries(entry.details).map(([k, v]) => `${k}: ${v}`).join(", ")
    : "";
  return (
    <tr data-testid="admin-audit-entry" data-action={entry.action}>
      <td>{when(entry.at)}</td>
      <td>{entry.by}</td>
      <td>
        {entry.action}
        {details && <span class="admin-meta">{details}</span>}
      </td>
      <td>{whom}</td>
      <td>{entry.reason ?? ""}</td>
      <td>{entry.address}</td>
    </tr>
  );
}

function when(iso: string): string {
  return new Date(iso).toLocaleString();
}

/** Starts the service with the page and stops it when the page goes. */
export function useAdminService(service: AdminService): void {
  useEffect(() => {
    void service.start();
    return () => service.stop();
  }, [service]);
}
