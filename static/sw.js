// The chat's service worker: it keeps the app shell so the page opens at
// once (and offline, where the app says it is offline) with the emoji names
// it fetched, shows Web Push
// notifications, and never caches the API, the socket or shared files.
const CACHE = "chat-shell-v1";
const SHELL = [
  "/",
  "/app.js",
  "/styles.css",
  "/favicon.svg",
  "/manifest.webmanifest",
  "/icons/icon-192.png",
];
const OFFLINE_PAGE =
  `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat (offline)</title></head><body style="font-family:sans-serif;
display:grid;place-items:center;height:100vh;margin:0">
<p>offline: the chat will be back with the network.</p></body></html>`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() =>
      self.skipWaiting()
    ),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys().then((keys) =>
      Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))
    ).then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // Profile pictures too: each change is a new URL, the HTTP cache's.
  if (/^\/(api|ws|files|avatars|healthz|metrics)(\/|$)/.test(url.pathname)) {
    return;
  }
  if (request.mode === "navigate") {
    // The newest page when online; the kept one, or "offline", when not.
    event.respondWith(
      fetch(request).catch(async () =>
        (await caches.match("/")) ??
          new Response(OFFLINE_PAGE, {
            status: 503,
            headers: { "content-type": "text/html; charset=utf-8" },
          })
      ),
    );
    return;
  }
  // The shell from the cache at once, refreshed behind it for next time.
  event.respondWith(
    caches.match(request).then((cached) => {
      const fresh = fetch(request).then((response) => {
        // The emoji names too, once fetched (the first ":" typed): the
        // composer completes shortcodes offline (50-60 kB a language); and
        // the code highlighter, once a code block named a language.
        if (
          response.ok &&
          (SHELL.includes(url.pathname) || url.pathname.startsWith("/emoji/") ||
            url.pathname === "/highlight.js")
        ) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      });
      if (!cached) return fresh;
      fresh.catch(() => {});
      return cached;
    }),
  );
});

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = { text: event.data ? event.data.text() : "" };
  }
  // A hook may post under anyone's name: its badge goes with the name, as
  // in the chat (client/format.ts senderLabel).
  const sender = data.badge === "hook" || data.badge === "bot"
    ? `${data.sender} (${data.badge.toUpperCase()})`
    : data.sender;
  // A saved message's reminder (server/reminders.ts) says so first.
  const where = data.room ? `${sender} in ${data.room}` : sender;
  // A scheduled message refused at its time (server/scheduled_sends.ts)
  // names where it was to go; its text is the body.
  const title = data.kind === "reminder"
    ? `Reminder: ${where}`
    : data.kind === "scheduled_failed"
    ? `Scheduled message to ${data.room ?? data.to} not sent`
    : data.kind === "mention" || data.kind === "room"
    ? `${sender} in ${data.room}`
    : sender ?? "Chat";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: data.text ?? "",
      tag: data.tag,
      renotify: true,
      icon: "/icons/icon-192.png",
      data: { room: data.room, sender: data.sender, kind: data.kind },
    }),
  );
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: "window" }).then((windows) =>
      windows.length > 0 ? windows[0].focus() : self.clients.openWindow("/")
    ),
  );
});
