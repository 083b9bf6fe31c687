/**
 * What long lists cost the web client, measured from outside in real
 * Chromium: a server with `--rooms` rooms (put in its store), then one with
 * `--members` guests in #general; each time a guest opens the client. Then
 * a guest with `--conversations` private conversations (as many guests each
 * send it one message and leave). A count of 0 skips its server.
 *
 *   deno task build && deno run -A bench/client_lists.ts [--rooms 3000] [--members 3000] [--conversations 3000]
 *
 * Prints the page's element count (and CDP's `Nodes`), the time from the
 * login click until the sidebar shows its rooms and until the member list
 * shows everyone (a MutationObserver's clock, before paint), and the
 * main-thread time (CDP `TaskDuration`) of one live update: a new room, a
 * member joining, a member leaving; medians of five each. For the
 * conversations: the element count, the rows in the DOM, and the main-thread
 * time of a private message that brings a conversation from the bottom of
 * the list to its top; median of five.
 */
import { parseArgs } from "node:util";
import { chromium, type Page } from "playwright-core";
import { startTestServer, TestClient } from "../tests/harness.ts";
import { NO_RATE_LIMITS } from "../server/mod.ts";
import { SqliteStore } from "../server/store/sqlite.ts";
import { nameKey } from "../server/protocol/names.ts";
import { median } from "./stats.ts";

const args = parseArgs({
  options: {
    rooms: { type: "string", default: "3000" },
    members: { type: "string", default: "3000" },
    conversations: { type: "string", default: "3000" },
  },
});
const ROOMS = Number(args.values.rooms);
const MEMBERS = Number(args.values.members);
const CONVERSATIONS = Number(args.values.conversations);
const RUNS = 5;

/** Runs `make(i)` for 0 ≤ i < n, twenty at a time. */
async function inBatches<T>(
  n: number,
  make: (i: number) => Promise<T>,
): Promise<T[]> {
  const out: T[] = [];
  for (let from = 0; from < n; from += 20) {
    const batch = [];
    for (let i = from; i < Math.min(n, from + 20); i++) batch.push(make(i));
    out.push(...await Promise.all(batch));
  }
  return out;
}

/** Main-thread milliseconds (CDP TaskDuration) spent from `act` until `done` and a quiet 300 ms after. */
async function taskMs(
  page: Page,
  act: () => Promise<unknown>,
  done: () => Promise<unknown>,
): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Performance.enable");
  const read = async () => {
    const { metrics } = await cdp.send("Performance.getMetrics");
    return metrics.find((m) => m.name === "TaskDuration")!.value * 1000;
  };
  await page.waitForTimeout(300);
  const before = await read();
  await act();
  await done();
  await page.waitForTimeout(300);
  const after = await read();
  await cdp.detach();
  return after - before;
}

/** One server with `rooms` rooms and `members` guests in #general, measured. */
async function measure(rooms: number, members: number) {
  // The rooms go straight into the store: made over the protocol while
  // thousands are connected, each would send them all a longer room list.
  const dir = await Deno.makeTempDir({ prefix: "client-lists-" });
  const seeded = new SqliteStore(`${dir}/chat.db`, { busyTimeoutMs: 2000 });
  for (let i = 0; i < rooms; i++) {
    await seeded.createRoom(`room-${i}`, nameKey(`room-${i}`));
  }
  await seeded.close();
  const server = await startTestServer({
    db: `${dir}/chat.db`,
    rateLimits: NO_RATE_LIMITS,
    maxRoomsPerUser: 0,
    guestRoomTtlSeconds: 0,
    // Each login carries every room: thousands of them queue for a while.
    loginTimeoutSeconds: 600,
  });
  const clients: TestClient[] = [];
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  try {
    const maker = await TestClient.login(server.wsUrl, "maker");
    clients.push(maker);
    clients.push(
      ...await inBatches(
        members - 1,
        (i) => TestClient.login(server.wsUrl, `member-${i}`),
      ),
    );
    const page = await (await browser.newContext({
      viewport: { width: 1280, height: 800 },
      baseURL: server.url,
    })).newPage();
    page.setDefaultTimeout(120_000);
    await page.goto("/");
    await page.getByTestId("login-username").fill("viewer");
    const everyone = members + 1;
    await page.evaluate((everyone) => {
      const marks = globalThis as unknown as Record<string, number>;
      const start = performance.now();
      new MutationObserver((_, observer) => {
        if (
          !marks.sidebarMs &&
          document.querySelector('[data-testid="room-item"]')
        ) marks.sidebarMs = performance.now() - start;
        const title = document.querySelector(".members-head .section-title");
        if (!marks.membersMs && title?.textContent?.includes(`${everyone}`)) {
          marks.membersMs = performance.now() - start;
        }
        if (marks.sidebarMs && marks.membersMs) observer.disconnect();
      }).observe(document, { childList: true, subtree: true });
    }, everyone);
    await page.getByTestId("login-submit").click();
    await page.waitForFunction(() => {
      const marks = globalThis as unknown as Record<string, number>;
      return marks.sidebarMs && marks.membersMs;
    });
    const first = await page.evaluate(() => {
      const marks = globalThis as unknown as Record<string, number>;
      return { sidebarMs: marks.sidebarMs, membersMs: marks.membersMs };
    });
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Performance.enable");
    const { metrics } = await cdp.send("Performance.getMetrics");
    const nodes = metrics.find((m) => m.name === "Nodes")!.value;
    const elements = await page.evaluate(() =>
      document.getElementsByTagName("*").length
    );
    const roomRows = await page.getByTestId("room-item").count();
    const memberRows = await page.getByTestId("member").count();

    const newRoom: number[] = [];
    const joined: number[] = [];
    const left: number[] = [];
    const count = everyone;
    const title = (n: number) =>
      page.locator(".members-head .section-title").filter({
        hasText: new RegExp(`— ${n}$`),
      }).waitFor();
    for (let run = 0; run < RUNS; run++) {
      const room = `aaa-new-${run}`;
      newRoom.push(
        await taskMs(
          page,
          () => maker.ok("create_room", { room }),
          () => page.locator(`[data-room="${room}"]`).waitFor(),
        ),
      );
      await maker.ok("join_room", { room: "general" });
      await title(count);
      let joiner: TestClient | undefined;
      joined.push(
        await taskMs(
          page,
          async () =>
            joiner = await TestClient.login(server.wsUrl, `aaa-${run}`),
          () => title(count + 1),
        ),
      );
      left.push(
        await taskMs(page, () => joiner!.close(), () => title(count)),
      );
    }
    console.log(JSON.stringify(
      {
        rooms,
        members: everyone,
        elements,
        cdpNodes: nodes,
        roomRows,
        memberRows,
        sidebarFirstMs: Math.round(first.sidebarMs),
        membersFirstMs: Math.round(first.membersMs),
        newRoomTaskMs: Math.round(median(newRoom)),
        memberJoinedTaskMs: Math.round(median(joined)),
        memberLeftTaskMs: Math.round(median(left)),
      },
      null,
      2,
    ));
  } finally {
    await browser.close();
    await Promise.all(clients.map((c) => c.close()));
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

/** A guest with `count` private conversations, measured. */
async function measureConversations(count: number) {
  const server = await startTestServer({
    rateLimits: NO_RATE_LIMITS,
    maxRoomsPerUser: 0,
    guestRoomTtlSeconds: 0,
  });
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu"],
  });
  /** A guest logs in, sends the viewer one private message, and leaves. */
  async function writes(name: string): Promise<void> {
    const sender = await TestClient.login(server.wsUrl, name);
    try {
      await sender.ok("private_message", { to: "viewer", text: "hello" });
    } finally {
      await sender.close();
    }
  }
  try {
    const page = await (await browser.newContext({
      viewport: { width: 1280, height: 800 },
      baseURL: server.url,
    })).newPage();
    page.setDefaultTimeout(120_000);
    await page.goto("/");
    await page.getByTestId("login-username").fill("viewer");
    await page.getByTestId("login-submit").click();
    await page.getByTestId("me-name").filter({ hasText: "viewer" }).waitFor();
    await inBatches(count, (i) => writes(`pen-${i}`));
    // Every conversation in: its window says so, or the whole list has them.
    await page.waitForFunction(
      (count) =>
        document.querySelector(`li[aria-setsize="${count}"]`) !== null ||
        document.querySelectorAll('[data-testid="dm-item"]').length === count,
      count,
    );
    const elements = await page.evaluate(() =>
      document.getElementsByTagName("*").length
    );
    const dmRows = await page.getByTestId("dm-item").count();
    // One of the first batch each time: it moves from the bottom of the
    // list to the top.
    const moved: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const name = `pen-${run}`;
      // Logged in before and out after: its joining and leaving #general
      // (a member row, a notice) are not the conversation list's cost.
      const sender = await TestClient.login(server.wsUrl, name);
      moved.push(
        await taskMs(
          page,
          () => sender.ok("private_message", { to: "viewer", text: "again" }),
          () =>
            page.locator(
              `[data-testid="dm-list"] li:first-child [data-user="${name}"]`,
            ).waitFor(),
        ),
      );
      await sender.close();
    }
    console.log(JSON.stringify(
      {
        conversations: count,
        elements,
        dmRows,
        messageMovesConversationTaskMs: Math.round(median(moved)),
      },
      null,
      2,
    ));
  } finally {
    await browser.close();
    await server.close();
  }
}

// Apart: one server holding both would send each of thousands of guests
// a list of thousands of rooms at every login (the server's cost, measured
// by bench/room_list_bytes.ts), and this measures the client.
if (ROOMS > 0) await measure(ROOMS, 1);
if (MEMBERS > 0) await measure(1, MEMBERS);
if (CONVERSATIONS > 0) await measureConversations(CONVERSATIONS);
