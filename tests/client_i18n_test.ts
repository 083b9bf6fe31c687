/**
 * The interface's words (client/i18n.ts) as a reader hears them: counts
 * agree with their number in both languages, and the sentences the client
 * writes itself when the server cannot answer come in the chosen language.
 */

import assert from "node:assert/strict";
import { type Lang, lang, t, tn } from "../client/i18n.ts";
import { actionDone } from "../client/admin/service.ts";
import { helpText } from "../client/commands.ts";
import { rest } from "../client/rest.ts";
import { fetchSession } from "../client/auth_api.ts";
import { systemText } from "../client/system_text.ts";
import { createAppState, viewTitle } from "../client/state.ts";
import type { SystemEvent } from "../server/protocol/types.ts";
import { ERROR_CODES } from "../server/protocol/error_codes.ts";
import { codeText, errorText } from "../client/error_text.ts";
import { withServer } from "./harness.ts";

/** Runs `body` with the interface in `next`, then puts the language back. */
async function inLang<T>(next: Lang, body: () => T | Promise<T>): Promise<T> {
  const before = lang.value;
  lang.value = next;
  try {
    return await body();
  } finally {
    lang.value = before;
  }
}

Deno.test("i18n reads one unread message as 'non lu' and two as 'non lus' in French", async () => {
  await inLang("fr", () => {
    assert.equal(tn("sidebar.unreadCount", 1), "non lu");
    assert.equal(tn("sidebar.unreadCount", 2), "non lus");
  });
  await inLang("en", () => {
    assert.equal(tn("sidebar.unreadCount", 1), "unread");
    assert.equal(tn("sidebar.unreadCount", 2), "unread");
  });
});

Deno.test("i18n counts days, files and other reactors in the singular for one, in both languages", async () => {
  await inLang("en", () => {
    assert.equal(tn("admin.retentionFor", 1), "kept 1 day");
    assert.equal(tn("admin.retentionFor", 30), "kept 30 days");
    assert.equal(tn("reply.files", 1), "1 file");
    assert.equal(tn("reply.files", 3), "3 files");
    assert.equal(tn("react.more", 1), "and 1 more");
  });
  await inLang("fr", () => {
    assert.equal(tn("admin.retentionFor", 1), "gardé 1 jour");
    assert.equal(tn("admin.retentionFor", 30), "gardé 30 jours");
    assert.equal(tn("reply.files", 1), "1 fichier");
    assert.equal(tn("reply.files", 3), "3 fichiers");
    assert.equal(tn("react.more", 1), "et 1 autre");
    assert.equal(tn("react.more", 4), "et 4 autres");
  });
});

Deno.test("i18n has no '(s)' plurals left: every count picks its form", async () => {
  // The dictionaries as written: a "(s)" is a count that guesses its number
  // instead of asking tn().
  const source = await Deno.readTextFile(
    new URL("../client/i18n.ts", import.meta.url),
  );
  assert.doesNotMatch(source, /\(s\)/);
});

Deno.test("settings and login say 'cannot reach the server' in French when the server is down", async () => {
  // The discard port, which nothing here serves: a connection to it is
  // refused at once (a port freed by this test could be another's by now).
  const url = "http://127.0.0.1:9/api/session";
  const realFetch = globalThis.fetch;
  // The page calls same-origin paths; here they go to a port nobody serves.
  globalThis.fetch = (_input, init) => realFetch(url, init);
  try {
    await inLang("fr", async () => {
      const settings = await rest("GET", "/api/tokens");
      assert.equal(settings.ok, false);
      assert.equal(
        !settings.ok && settings.message,
        "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.",
      );
      const login = await fetchSession();
      assert.equal(login.ok, false);
      assert.equal(
        !login.ok && login.error.message,
        "Impossible de joindre le serveur. Vérifiez votre connexion et réessayez.",
      );
    });
  } finally {
    globalThis.fetch = realFetch;
  }
});

Deno.test("settings report a bare status in the chosen language when the server gives no sentence", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("", { status: 502 }),
  );
  const realFetch = globalThis.fetch;
  const base = `http://127.0.0.1:${server.addr.port}`;
  globalThis.fetch = (input, init) => realFetch(base + String(input), init);
  try {
    const answer = await inLang("fr", () => rest("GET", "/api/tokens"));
    assert.equal(!answer.ok && answer.message, "Le serveur a répondu 502.");
  } finally {
    globalThis.fetch = realFetch;
    await server.shutdown();
  }
});

Deno.test("slash commands answer in French: /help's list, a wrong usage, an unknown command", async () => {
  const help = await inLang("fr", () => helpText("moderator"));
  const lines = help.split("\n");
  assert.equal(lines[0], "Commandes :");
  assert.ok(lines.includes("/join <salon> — Aller dans un salon."), help);
  assert.ok(
    lines.includes(
      "/kick <nom> [raison] — Déconnecter quelqu'un (qui peut revenir).",
    ),
    help,
  );
  assert.ok(
    lines.includes("//texte — Envoyer un message qui commence par /."),
    help,
  );
  // Then the keys, in French too.
  assert.ok(lines.includes("Touches :"), help);
  assert.ok(
    lines.includes(
      "Alt+Maj+↑ / Alt+Maj+↓ — Le plus proche qui a des messages non lus.",
    ),
    help,
  );
  await inLang("fr", () => {
    assert.equal(
      t("cmd.unknown", { name: "jion" }),
      "Commande inconnue /jion. Tapez /help pour la liste.",
    );
  });
  // English stays as it was.
  const english = await inLang("en", () => helpText("user"));
  assert.ok(english.includes("/join <room> — Move to a room."), english);
});

Deno.test("the admin page says what it did in a sentence of the chosen language, not an action's name", async () => {
  await inLang("fr", () => {
    assert.equal(
      actionDone("update_room", { room: "groupe-b", name: "groupe-b2" }),
      "Salon #groupe-b renommé en #groupe-b2",
    );
    assert.equal(
      actionDone("set_role", { user: "lea", role: "moderator" }),
      "lea est maintenant modérateur",
    );
    assert.equal(
      actionDone("ban", { user: "tom", reason: "spam" }),
      "Compte tom banni",
    );
  });
  await inLang("en", () => {
    // A room is named as the chat names it: a private one without "#".
    assert.equal(
      actionDone("update_room", { room: "dev", private: true }),
      "Room dev updated",
    );
    assert.equal(
      actionDone("update_room", { room: "dev", private: false }),
      "Room #dev updated",
    );
    const secret = (room: string) => room === "secret";
    assert.equal(
      actionDone("update_room", { room: "secret", name: "hush" }, secret),
      "Room secret renamed to hush",
    );
    assert.equal(
      actionDone("delete_room", { room: "secret" }, secret),
      "Room secret deleted",
    );
    assert.equal(
      actionDone("delete_room", { room: "dev" }, secret),
      "Room #dev deleted",
    );
  });
});

Deno.test("system notices say who added, removed or banned whom in French from their fields, and keep the server's English sentence in English", async () => {
  const context = { authorOf: () => undefined, me: "ida" };
  const cases: [SystemEvent, string][] = [
    [
      {
        room: "cm2",
        kind: "invited",
        user: "ida",
        by: "mme_martin",
        text: "mme_martin added you to cm2",
      },
      "mme_martin vous a ajouté à cm2",
    ],
    [
      {
        room: "cm2",
        kind: "removed",
        user: "ida",
        by: "mme_martin",
        text: "mme_martin removed you from cm2",
      },
      "mme_martin vous a retiré de cm2",
    ],
    [
      {
        room: "cm2",
        kind: "removed",
        user: "lea",
        by: "mme_martin",
        text: "mme_martin removed lea from cm2",
      },
      "mme_martin a retiré lea de cm2",
    ],
    [
      {
        room: "cm2",
        kind: "removed",
        user: "ida",
        private: true,
        text: "cm2 is now private: for its members only",
      },
      "cm2 est maintenant privé : réservé à ses membres",
    ],
    [
      {
        room: "cm2",
        kind: "banned",
        user: "ida",
        by: "mod",
        reason: "spam",
        scope: "room",
        text: "ida was banned from cm2 by mod: spam",
      },
      "ida a été banni de cm2 par mod : spam",
    ],
    [
      {
        room: "general",
        kind: "banned",
        user: "tom",
        by: "mod",
        scope: "server",
        text: "tom was banned by mod: no reason given",
      },
      "tom a été banni par mod",
    ],
    [
      { room: "cm2", kind: "deleted", text: "the server deleted cm2" },
      "Le serveur a supprimé cm2",
    ],
  ];
  await inLang("fr", () => {
    for (const [event, said] of cases) {
      assert.equal(systemText(event, context), said);
    }
  });
  await inLang("en", () => {
    for (const [event] of cases) {
      assert.equal(systemText(event, context), event.text);
    }
  });
});

Deno.test("every error code the server can send has its own sentence in English and in French", async () => {
  const missing: string[] = [];
  for (const code of ERROR_CODES) {
    // A key missing from both dictionaries throws; one missing from French
    // falls back to the English sentence: both are a missing translation.
    const said = async (next: Lang) => {
      try {
        return await inLang(next, () => codeText(code));
      } catch {
        return "";
      }
    };
    const [en, fr] = [await said("en"), await said("fr")];
    if (en === "" || en.startsWith("code.")) missing.push(`${code} (en)`);
    if (fr === "" || fr.startsWith("code.") || fr === en) {
      missing.push(`${code} (fr)`);
    }
  }
  assert.deepEqual(missing, []);
});

Deno.test("a French reader gets the code's sentence in French; an English reader the server's own sentence", async () => {
  const reply = {
    code: "forbidden",
    message: "You cannot act on carol (admin).",
  };
  assert.equal(
    await inLang("fr", () => errorText("forbidden", reply)),
    "Vous n'avez pas le droit de faire cela.",
  );
  assert.equal(
    await inLang("en", () => errorText("forbidden", reply)),
    "You cannot act on carol (admin).",
  );
  // The wait the server gives, in the reader's way of writing numbers.
  const slow = {
    message: "Slow down: try again in 1.5 s.",
    retry_after_ms: 1500,
  };
  assert.equal(
    await inLang("fr", () => errorText("rate_limited", slow)),
    "Doucement : réessayez dans 1,5 s.",
  );
  // A code this client does not know keeps the server's sentence.
  assert.equal(
    await inLang("fr", () => errorText("brand_new", { message: "Later." })),
    "Later.",
  );
});

Deno.test("settings say a real server's refusal in French: a call without a session", () =>
  withServer(async (server) => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = (input, init) =>
      realFetch(server.url + String(input), init);
    try {
      const answer = await inLang("fr", () => rest("GET", "/api/tokens"));
      assert.equal(
        !answer.ok && answer.message,
        "Connectez-vous d'abord.",
      );
      const english = await inLang("en", () => rest("GET", "/api/tokens"));
      assert.match(!english.ok && english.message || "", /^Send /);
    } finally {
      globalThis.fetch = realFetch;
    }
  }));

Deno.test("i18n names a private room without '#' in its welcome and composer, as its header does, in English and French", async () => {
  const state = createAppState();
  state.currentRoom.value = "design";
  state.memberships.value = { design: { room: "design", private: true } };
  const said = () => [
    t("list.welcome", { title: viewTitle(state) }),
    t("composer.message", { target: viewTitle(state) }),
  ];
  await inLang("en", () => {
    assert.deepEqual(said(), ["Welcome to design", "Message design"]);
  });
  await inLang("fr", () => {
    assert.deepEqual(said(), ["Bienvenue dans design", "Écrire dans design"]);
  });
  // A public room keeps its "#", a conversation its "@".
  state.memberships.value = { design: { room: "design", private: false } };
  await inLang("en", () => assert.equal(said()[0], "Welcome to #design"));
  state.view.value = { kind: "dm", with: "bob" };
  await inLang("fr", () => assert.equal(said()[1], "Écrire dans @bob"));
});
