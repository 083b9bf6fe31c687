/**
 * The installable app's side of the browser: the service worker (app
 * shell, offline page, push notifications) and the Web Push subscription,
 * made only once the user has allowed notifications, for accounts.
 */

/** Registers /sw.js; nothing where the browser has no service workers. */
export async function registerServiceWorker(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
  } catch {
    // Not a secure context, or the worker failed to load: the page still works.
  }
}

/**
 * Subscribes this browser to Web Push with the server's VAPID key and
 * hands the subscription to the server; false when the browser cannot.
 * Call after the user granted notifications, while an account is signed in.
 */
export async function subscribePush(): Promise<boolean> {
  if (!("serviceWorker" in navigator) || typeof PushManager === "undefined") {
    return false;
  }
  try {
    const registration = await navigator.serviceWorker.ready;
    const answer = await fetch("/api/push/vapid-public-key");
    const key = fromBase64Url((await answer.json() as { key: string }).key);
    let subscription = await registration.pushManager.getSubscription();
    // Made for another key (a server moved without its secrets): the push
    // service would refuse this server's pushes to it.
    if (
      subscription && !sameBytes(subscription.options.applicationServerKey, key)
    ) {
      await subscription.unsubscribe();
      subscription = null;
    }
    if (!subscription) {
      subscription = await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: key,
      });
    }
    const saved = await fetch("/api/push/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(subscription),
    });
    return saved.ok;
  } catch {
    return false;
  }
}

/** Drops this browser's push subscription, if any (at logout). */
export async function unsubscribePush(): Promise<void> {
  if (!("serviceWorker" in navigator)) return;
  try {
    const registration = await navigator.serviceWorker.getRegistration();
    await (await registration?.pushManager.getSubscription())?.unsubscribe();
  } catch {
    // Nothing to drop, or the browser refused: the server keeps one stale row.
  }
}

function sameBytes(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (a === null || a.byteLength !== b.length) return false;
  const bytes = new Uint8Array(a);
  return bytes.every((byte, i) => byte === b[i]);
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "=".repeat((4 - base64.length % 4) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
