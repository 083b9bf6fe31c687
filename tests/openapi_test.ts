/**
 * The OpenAPI document at /api/openapi.json against the real server: every
 * documented operation is called, every answer's status is one the
 * document lists for it, and every JSON body matches the listed schema.
 */
import assert from "node:assert/strict";
import { createECDH } from "node:crypto";
import process from "node:process";
import { Ajv2020 } from "ajv/dist/2020.js";
import {
  accountWithToken,
  type Answer,
  call,
  type CallOptions,
} from "./api_helpers.ts";
import { DEFAULT_RATE_LIMITS } from "../server/rate_limit.ts";
import {
  UNSUBSCRIBE_PATH,
  unsubscribeLink,
} from "../server/mail/unsubscribe.ts";
import { TEST_PASSWORD, type TestServer, withServer } from "./harness.ts";

interface Operation {
  responses: Record<
    string,
    { content?: Record<string, { schema: Record<string, unknown> }> }
  >;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: Record<string, unknown>;
}

/** One call: the documented path it exercises, and how it is made. */
interface Step {
  method: string;
  /** As documented, e.g. `/api/tokens/{id}`. */
  route: string;
  /** The path called (worked out when called, from earlier answers). */
  path: string | (() => string);
  options?: CallOptions;
  /** The status this step must get (one the document lists). */
  status: number;
  /** Keeps what later steps need from the answer. */
  then?: (answer: Answer) => void;
}

async function steps(server: TestServer): Promise<Step[]> {
  const root = await accountWithToken(server, "root");
  const bob = await accountWithToken(server, "bob");
  const admin = { token: root.token };
  const user = { token: bob.token };
  const spare = await call(server, "POST", "/api/tokens", {
    ...admin,
    body: { name: "spare" },
  });
  await call(server, "POST", "/api/bots", { ...admin, body: { name: "ci" } });
  const botToken = await call(server, "POST", "/api/bots/ci/tokens", {
    ...admin,
    body: { name: "ci" },
  });
  const hook = await call(server, "POST", "/api/rooms/general/hooks", {
    ...admin,
    body: { name: "alerts" },
  });
  const secret = new URL(hook.body.url).pathname.split("/").at(-1);
  const send = { text: "hello", client_id: "c1" };
  const question = await call(server, "POST", "/api/rooms/general/messages", {
    ...user,
    body: { text: "who broke the build?" },
  });
  const asked = question.body.message.id as string;
  const dm = await call(server, "POST", "/api/private/root/messages", {
    ...user,
    body: { text: "hi root" },
  });
  return [
    {
      method: "GET",
      route: "/api/me",
      path: "/api/me",
      options: admin,
      status: 200,
    },
    { method: "GET", route: "/api/me", path: "/api/me", status: 401 },
    {
      method: "POST",
      route: "/api/tokens",
      path: "/api/tokens",
      options: { ...user, body: { name: "cli" } },
      status: 201,
    },
    {
      method: "POST",
      route: "/api/tokens",
      path: "/api/tokens",
      options: { ...user, body: { name: "" } },
      status: 400,
    },
    {
      method: "POST",
      route: "/api/tokens",
      path: "/api/tokens",
      options: { ...user, body: "{" },
      status: 400,
    },
    {
      method: "GET",
      route: "/api/tokens",
      path: "/api/tokens",
      options: user,
      status: 200,
    },
    {
      method: "DELETE",
      route: "/api/tokens/{id}",
      path: `/api/tokens/${spare.body.id}`,
      options: admin,
      status: 204,
    },
    {
      method: "DELETE",
      route: "/api/tokens/{id}",
      path: "/api/tokens/nothing",
      options: admin,
      status: 404,
    },
    {
      method: "POST",
      route: "/api/bots",
      path: "/api/bots",
      options: { ...admin, body: { name: "deploy" } },
      status: 201,
    },
    {
      method: "POST",
      route: "/api/bots",
      path: "/api/bots",
      options: { ...admin, body: { name: "deploy" } },
      status: 409,
    },
    {
      method: "POST",
      route: "/api/bots",
      path: "/api/bots",
      options: { ...user, body: { name: "mine" } },
      status: 403,
    },
    {
      method: "GET",
      route: "/api/bots",
      path: "/api/bots",
      options: admin,
      status: 200,
    },
    {
      method: "POST",
      route: "/api/bots/{bot}/tokens",
      path: "/api/bots/deploy/tokens",
      options: { ...admin, body: { name: "x" } },
      status: 201,
    },
    {
      method: "POST",
      route: "/api/bots/{bot}/tokens",
      path: "/api/bots/bob/tokens",
      options: { ...admin, body: { name: "x" } },
      status: 404,
    },
    {
      method: "GET",
      route: "/api/bots/{bot}/tokens",
      path: "/api/bots/ci/tokens",
      options: admin,
      status: 200,
    },
    {
      method: "DELETE",
      route: "/api/bots/{bot}/tokens/{id}",
      path: `/api/bots/ci/tokens/${botToken.body.id}`,
      options: admin,
      status: 204,
    },
    {
      method: "DELETE",
      route: "/api/bots/{bot}/tokens/{id}",
      path: `/api/bots/ci/tokens/${botToken.body.id}`,
      options: admin,
      status: 404,
    },
    { method: "GET", route: "/api/rooms", path: "/api/rooms", status: 200 },
    {
      method: "GET",
      route: "/api/rooms",
      path: "/api/rooms",
      options: user,
      status: 200,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      options: { ...user, body: send },
      status: 201,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      options: { ...user, body: send },
      status: 200,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      options: { ...user, body: { text: "" } },
      status: 400,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/nowhere/messages",
      options: { ...user, body: send },
      status: 404,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      options: {
        ...user,
        body: "hi",
        headers: { "content-type": "text/plain" },
      },
      status: 415,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      options: { ...user, body: { text: "x".repeat(70_000) } },
      status: 413,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      // From a page of this server with no session: not logged in.
      options: { body: send, headers: { origin: server.url } },
      status: 401,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      options: { ...admin, body: { text: "not me", reply_to: asked } },
      status: 201,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      options: {
        ...admin,
        body: { text: "?", reply_to: "01JAAAAAAAAAAAAAAAAAAAAAAA" },
      },
      status: 404,
    },
    {
      method: "GET",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages",
      status: 200,
    },
    {
      method: "GET",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages?around_seq=1&limit=4",
      status: 200,
    },
    {
      method: "GET",
      route: "/api/search",
      path: "/api/search?q=build",
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: "/api/search",
      path: "/api/search?q=hi&with=root&limit=5",
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: "/api/search",
      path: "/api/search?q=build",
      status: 401,
    },
    {
      method: "GET",
      route: "/api/search",
      path: "/api/search?q=build&limit=0",
      options: user,
      status: 400,
    },
    {
      method: "GET",
      route: "/api/search",
      path: "/api/search?q=build&room=nowhere",
      options: user,
      status: 404,
    },
    {
      method: "GET",
      route: "/api/people",
      path: "/api/people?q=ro&limit=5",
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: "/api/people",
      path: "/api/people?q=ro",
      status: 401,
    },
    {
      method: "GET",
      route: "/api/people",
      path: "/api/people?q=",
      options: user,
      status: 400,
    },
    {
      method: "GET",
      route: "/api/conversations",
      path: "/api/conversations",
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: "/api/conversations",
      path: "/api/conversations?limit=1",
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: "/api/conversations",
      path: "/api/conversations",
      status: 401,
    },
    {
      method: "GET",
      route: "/api/conversations",
      path: "/api/conversations?limit=101",
      options: user,
      status: 400,
    },
    {
      method: "GET",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages?limit=0",
      status: 400,
    },
    {
      method: "GET",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/general/messages?after_seq=1&epoch=another",
      status: 409,
    },
    {
      method: "GET",
      route: "/api/rooms/{room}/messages",
      path: "/api/rooms/nowhere/messages",
      status: 404,
    },
    {
      method: "POST",
      route: "/api/private/{user}/messages",
      path: "/api/private/root/messages",
      options: { ...user, body: { text: "hi" } },
      status: 201,
    },
    {
      method: "POST",
      route: "/api/private/{user}/messages",
      path: "/api/private/bob/messages",
      options: {
        ...admin,
        body: { text: "hi bob", reply_to: dm.body.message.id },
      },
      status: 201,
    },
    {
      method: "GET",
      route: "/api/private/{user}/messages",
      path: "/api/private/bob/messages?after_seq=0&limit=50",
      options: admin,
      status: 200,
    },
    {
      method: "GET",
      route: "/api/private/{user}/messages",
      path: "/api/private/bob/messages?limit=0",
      options: admin,
      status: 400,
    },
    {
      method: "GET",
      route: "/api/private/{user}/messages",
      path: "/api/private/bob/messages",
      status: 401,
    },
    {
      method: "POST",
      route: "/api/private/{user}/messages",
      path: "/api/private/nobody/messages",
      options: { ...user, body: { text: "hi" } },
      status: 404,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/hooks",
      path: "/api/rooms/general/hooks",
      options: { ...admin, body: { name: "more" } },
      status: 201,
    },
    {
      method: "POST",
      route: "/api/rooms/{room}/hooks",
      path: "/api/rooms/general/hooks",
      options: { ...user, body: { name: "mine" } },
      status: 403,
    },
    {
      method: "GET",
      route: "/api/rooms/{room}/hooks",
      path: "/api/rooms/general/hooks",
      options: admin,
      status: 200,
    },
    {
      method: "GET",
      route: "/api/rooms/{room}/hooks",
      path: "/api/rooms/nowhere/hooks",
      options: admin,
      status: 404,
    },
    {
      method: "POST",
      route: "/api/hooks/{secret}",
      path: `/api/hooks/${secret}`,
      options: { body: { text: "disk full" } },
      status: 200,
    },
    {
      method: "POST",
      route: "/api/hooks/{secret}",
      path: `/api/hooks/${secret}`,
      options: { body: { text: "" } },
      status: 400,
    },
    {
      method: "POST",
      route: "/api/hooks/{secret}",
      path: "/api/hooks/wrong",
      options: { body: { text: "hi" } },
      status: 404,
    },
    {
      method: "DELETE",
      route: "/api/hooks/{id}",
      path: `/api/hooks/${hook.body.id}`,
      options: admin,
      status: 204,
    },
    {
      method: "DELETE",
      route: "/api/hooks/{id}",
      path: `/api/hooks/${hook.body.id}`,
      options: admin,
      status: 404,
    },
    ...await accountSteps(server),
    ...await fileSteps(server, user),
    ...outgoingHookSteps(admin, user),
    ...botHookSteps(admin, user),
    ...pushSteps(user),
    ...await messageChangeSteps(server, admin, user),
    ...roomMemberSteps(user),
    ...roomTopicSteps(admin, user),
    ...ignoreSteps(user),
    ...draftSteps(user),
    ...await savedSteps(server, user),
    ...await scheduledSteps(server, user),
    ...await threadSteps(server, user),
    ...notifyLevelSteps(user),
    ...doNotDisturbSteps(user),
    ...statusSteps(user),
  ];
}

// A third account, logged in with a cookie, as the web client is.
async function accountSteps(server: TestServer): Promise<Step[]> {
  const carol = await accountWithToken(server, "carol");
  const page = { cookie: carol.cookie, origin: server.url };
  const password = { username: "carol", password: TEST_PASSWORD };
  const link = await unsubscribeLink(
    server.node,
    (await server.node.store.findAccount("carol"))!,
  );
  // From the client's own page, unless the step says otherwise.
  const post = (route: string, status: number, options: CallOptions) => ({
    method: "POST",
    route,
    path: route,
    options: {
      ...options,
      headers: { origin: server.url, ...options.headers },
    },
    status,
  });
  return [
    post("/api/register", 201, {
      body: { username: "dave", password: TEST_PASSWORD },
    }),
    post("/api/register", 409, { body: password }),
    post("/api/register", 400, { body: { username: "erin" } }),
    post("/api/register", 415, {
      body: JSON.stringify(password),
      headers: { "content-type": "text/plain" },
    }),
    post("/api/login", 200, { body: password }),
    post("/api/login", 401, { body: { ...password, password: "wrong!" } }),
    post("/api/password", 403, {
      token: carol.token,
      body: { old_password: TEST_PASSWORD, new_password: "another pass 1" },
    }),
    post("/api/password", 401, {
      headers: { origin: server.url },
      body: { old_password: TEST_PASSWORD, new_password: "another pass 1" },
    }),
    post("/api/password", 204, {
      headers: page,
      body: { old_password: TEST_PASSWORD, new_password: "another pass 1" },
    }),
    post("/api/reset-password", 401, {
      body: { token: "wrong", password: "another pass 2" },
    }),
    post("/api/reset-password", 400, { body: { token: "wrong" } }),
    post("/api/verify-email", 401, { body: { token: "wrong" } }),
    post("/api/verify-email", 400, { body: {} }),
    // A missed-message mail's unsubscribe link: signed for carol, or not.
    {
      method: "GET",
      route: UNSUBSCRIBE_PATH,
      path: `${UNSUBSCRIBE_PATH}?user=carol&sig=AAAA`,
      options: {},
      status: 403,
    },
    { method: "GET", route: UNSUBSCRIBE_PATH, path: link, status: 200 },
    post(UNSUBSCRIBE_PATH, 403, {}),
    {
      method: "POST",
      route: UNSUBSCRIBE_PATH,
      path: link,
      options: { body: "List-Unsubscribe=One-Click" },
      status: 200,
    },
    // A server without --smtp-url: neither is offered.
    {
      method: "GET",
      route: "/api/forgot-password",
      path: "/api/forgot-password",
      options: {},
      status: 403,
    },
    post("/api/forgot-password", 403, { body: { account: "carol" } }),
    {
      method: "GET",
      route: "/api/session",
      path: "/api/session",
      options: { headers: page },
      status: 200,
    },
    post("/api/logout", 204, { headers: page }),
    {
      method: "GET",
      route: "/api/session",
      path: "/api/session",
      options: { headers: page },
      status: 401,
    },
    post("/api/logout", 403, {
      headers: { origin: "https://elsewhere.example" },
    }),
  ];
}

// A file is served while a message carries it.
async function fileSteps(
  server: TestServer,
  user: CallOptions,
): Promise<Step[]> {
  const form = () => {
    const data = new FormData();
    data.append(
      "file",
      new Blob(["build log"], { type: "text/plain" }),
      "a.txt",
    );
    return data;
  };
  const uploaded = await call(server, "POST", "/api/files", {
    ...user,
    body: form(),
  });
  const url = uploaded.body.url as string;
  await call(server, "POST", "/api/rooms/general/messages", {
    ...user,
    body: { text: "the log", attachments: [url] },
  });
  const route = "/api/files";
  return [
    {
      method: "POST",
      route,
      path: route,
      options: { ...user, body: form() },
      status: 201,
    },
    {
      method: "POST",
      route,
      path: route,
      options: { token: "wrong", body: form() },
      status: 401,
    },
    {
      method: "GET",
      route: "/files/{id}/{name}",
      path: new URL(url, server.url).pathname + new URL(url, server.url).search,
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: "/files/{id}/{name}",
      path: "/files/nothing/a.txt",
      options: user,
      status: 404,
    },
  ];
}

// Registered last, so no message is sent to it; nothing listens there.
// The bot "ci"'s hook; nothing listens there either.
function botHookSteps(admin: CallOptions, user: CallOptions): Step[] {
  const route = "/api/bots/{bot}/outgoing-hooks";
  const path = "/api/bots/ci/outgoing-hooks";
  const one = "/api/bots/{bot}/outgoing-hooks/{id}";
  const url = "http://127.0.0.1:9/ci";
  let id = "";
  return [
    {
      method: "POST",
      route,
      path,
      options: { token: "wrong", body: { url } },
      status: 401,
    },
    {
      method: "POST",
      route,
      path,
      options: { ...user, body: { url } },
      status: 403,
    },
    {
      method: "POST",
      route,
      path: "/api/bots/bob/outgoing-hooks",
      options: { ...admin, body: { url } },
      status: 404,
    },
    {
      method: "POST",
      route,
      path,
      options: { ...admin, body: { link: url } },
      status: 400,
    },
    {
      method: "POST",
      route,
      path,
      options: { ...admin, body: { url } },
      status: 201,
      then: (answer) => id = answer.body.id,
    },
    { method: "GET", route, path, options: admin, status: 200 },
    { method: "GET", route, path, options: user, status: 403 },
    {
      method: "GET",
      route,
      path: "/api/bots/nobody/outgoing-hooks",
      options: admin,
      status: 404,
    },
    { method: "GET", route, path, status: 401 },
    {
      method: "DELETE",
      route: one,
      path: () => `${path}/${id}`,
      options: user,
      status: 403,
    },
    {
      method: "DELETE",
      route: one,
      path: () => `${path}/${id}`,
      options: admin,
      status: 204,
    },
    {
      method: "DELETE",
      route: one,
      path: () => `${path}/${id}`,
      options: admin,
      status: 404,
    },
    {
      method: "DELETE",
      route: one,
      path: `${path}/nothing`,
      options: { token: "wrong" },
      status: 401,
    },
  ];
}

function outgoingHookSteps(
  admin: CallOptions,
  user: CallOptions,
): Step[] {
  const route = "/api/rooms/{room}/outgoing-hooks";
  const path = "/api/rooms/general/outgoing-hooks";
  const url = "http://127.0.0.1:9/hook";
  let id = "";
  return [
    {
      method: "POST",
      route,
      path,
      options: { token: "wrong", body: { url } },
      status: 401,
    },
    {
      method: "POST",
      route,
      path,
      options: { ...user, body: { url } },
      status: 403,
    },
    {
      method: "POST",
      route,
      path: "/api/rooms/nowhere/outgoing-hooks",
      options: { ...admin, body: { url } },
      status: 404,
    },
    {
      method: "POST",
      route,
      path,
      options: { ...admin, body: { link: url } },
      status: 400,
    },
    {
      method: "POST",
      route,
      path,
      options: { ...admin, body: { url } },
      status: 201,
      then: (answer) => id = answer.body.id,
    },
    { method: "GET", route, path, options: admin, status: 200 },
    { method: "GET", route, path, options: user, status: 403 },
    { method: "GET", route, path, status: 401 },
    {
      method: "DELETE",
      route: "/api/outgoing-hooks/{id}",
      path: () => `/api/outgoing-hooks/${id}`,
      options: user,
      status: 404,
    },
    {
      method: "DELETE",
      route: "/api/outgoing-hooks/{id}",
      path: () => `/api/outgoing-hooks/${id}`,
      options: admin,
      status: 204,
    },
    {
      method: "DELETE",
      route: "/api/outgoing-hooks/{id}",
      path: "/api/outgoing-hooks/nothing",
      options: { token: "wrong" },
      status: 401,
    },
  ];
}

// A room's users, its accounts, and the user's read state in it (every
// account belongs to general, a socket or not).
function roomMemberSteps(user: CallOptions): Step[] {
  const members = "/api/rooms/{room}/members";
  const accounts = "/api/rooms/{room}/accounts";
  const read = "/api/rooms/{room}/read";
  const unread = "/api/rooms/{room}/unread";
  return [
    {
      method: "GET",
      route: accounts,
      path: "/api/rooms/general/accounts?prefix=a",
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: accounts,
      path: `/api/rooms/general/accounts?prefix=${"a".repeat(65)}`,
      options: user,
      status: 400,
    },
    {
      method: "GET",
      route: accounts,
      path: "/api/rooms/nowhere/accounts",
      options: user,
      status: 404,
    },
    {
      method: "GET",
      route: members,
      path: "/api/rooms/general/members",
      options: user,
      status: 200,
    },
    {
      method: "GET",
      route: members,
      path: "/api/rooms/general/members",
      status: 401,
    },
    {
      method: "GET",
      route: members,
      path: "/api/rooms/nowhere/members",
      options: user,
      status: 404,
    },
    {
      method: "POST",
      route: read,
      path: "/api/rooms/general/read",
      options: { ...user, body: { seq: 1 } },
      status: 200,
    },
    {
      method: "POST",
      route: read,
      path: "/api/rooms/general/read",
      options: { ...user, body: { seq: "1" } },
      status: 400,
    },
    {
      method: "POST",
      route: read,
      path: "/api/rooms/nowhere/read",
      options: { ...user, body: { seq: 1 } },
      status: 404,
    },
    {
      method: "POST",
      route: unread,
      path: "/api/rooms/general/unread",
      options: { ...user, body: { seq: 1 } },
      status: 200,
    },
    {
      method: "POST",
      route: unread,
      path: "/api/rooms/general/unread",
      options: { ...user, body: {} },
      status: 400,
    },
    {
      method: "POST",
      route: unread,
      path: "/api/rooms/nowhere/unread",
      options: { ...user, body: { seq: 1 } },
      status: 404,
    },
  ];
}

// An admin sets general's topic; a plain user may not there.
function roomTopicSteps(admin: CallOptions, user: CallOptions): Step[] {
  const topic = "/api/rooms/{room}/topic";
  return [
    {
      method: "PUT",
      route: topic,
      path: "/api/rooms/general/topic",
      options: { ...admin, body: { topic: "Welcome" } },
      status: 200,
    },
    {
      method: "PUT",
      route: topic,
      path: "/api/rooms/general/topic",
      options: { ...user, body: { topic: "mine" } },
      status: 403,
    },
    {
      method: "PUT",
      route: topic,
      path: "/api/rooms/general/topic",
      options: { ...admin, body: { topic: "two\nlines" } },
      status: 400,
    },
    {
      method: "PUT",
      route: topic,
      path: "/api/rooms/nowhere/topic",
      options: { ...admin, body: { topic: "x" } },
      status: 404,
    },
  ];
}

// The user ignores root, lists, and stops; the refusals of each route.
function ignoreSteps(user: CallOptions): Step[] {
  const list = "/api/ignores";
  const one = "/api/ignores/{user}";
  return [
    {
      method: "PUT",
      route: one,
      path: "/api/ignores/root",
      options: user,
      status: 200,
    },
    { method: "GET", route: list, path: list, options: user, status: 200 },
    { method: "GET", route: list, path: list, status: 401 },
    {
      method: "DELETE",
      route: one,
      path: "/api/ignores/root",
      options: user,
      status: 200,
    },
    {
      method: "DELETE",
      route: one,
      path: "/api/ignores/root",
      options: user,
      status: 404,
    },
    {
      method: "PUT",
      route: one,
      path: "/api/ignores/nobody",
      options: user,
      status: 404,
    },
    {
      method: "PUT",
      route: one,
      path: "/api/ignores/bob",
      options: user,
      status: 403,
    },
    {
      method: "PUT",
      route: one,
      path: "/api/ignores/a%00b",
      options: user,
      status: 400,
    },
  ];
}

// The user sets a draft in a room and a conversation, lists, and clears
// them; the refusals of each route.
function draftSteps(user: CallOptions): Step[] {
  const room = "/api/rooms/{room}/draft";
  const peer = "/api/private/{user}/draft";
  const step = (
    method: string,
    route: string,
    path: string,
    status: number,
    options: CallOptions = user,
  ): Step => ({ method, route, path, options, status });
  const text = (t: string) => ({ ...user, body: { text: t } });
  return [
    step("PUT", room, "/api/rooms/general/draft", 200, text("see you")),
    step("PUT", room, "/api/rooms/nowhere/draft", 404, text("x")),
    step("PUT", room, "/api/rooms/general/draft", 400, { ...user, body: {} }),
    step("PUT", peer, "/api/private/root/draft", 200, text("hi")),
    step("PUT", peer, "/api/private/a%00b/draft", 400, text("x")),
    step("PUT", peer, "/api/private/nobody/draft", 404, text("x")),
    step("GET", "/api/drafts", "/api/drafts", 200),
    step("GET", "/api/drafts", "/api/drafts", 401, {}),
    step("DELETE", room, "/api/rooms/general/draft", 200),
    step("DELETE", room, "/api/rooms/nowhere/draft", 404),
    step("DELETE", peer, "/api/private/root/draft", 200),
    step("DELETE", peer, "/api/private/root/draft", 403, {}),
  ];
}

// The user schedules a message to general (one made first, to change and
// cancel), lists, changes and cancels it; the refusals.
async function scheduledSteps(
  server: TestServer,
  user: CallOptions,
): Promise<Step[]> {
  // A day ahead: far from the request's time on a busy machine.
  const ahead = new Date(Date.now() + 24 * 3600_000).toISOString();
  const body = { room: "general", text: "later", send_at: ahead };
  const made = await call(server, "POST", "/api/scheduled", {
    ...user,
    body,
  });
  const route = "/api/scheduled/{id}";
  const path = `/api/scheduled/${made.body.scheduled.id}`;
  const step = (
    method: string,
    route: string,
    path: string,
    status: number,
    options: CallOptions = user,
  ): Step => ({ method, route, path, options, status });
  const list = "/api/scheduled";
  return [
    step("POST", list, list, 200, { ...user, body }),
    step("POST", list, list, 400, {
      ...user,
      body: { ...body, send_at: "2000-01-01T00:00:00Z" },
    }),
    step("POST", list, list, 404, {
      ...user,
      body: { ...body, room: "nowhere" },
    }),
    step("POST", list, list, 403, { body }),
    step("GET", list, list, 200),
    step("GET", list, list, 401, {}),
    step("PATCH", route, path, 200, { ...user, body: { text: "sooner" } }),
    step("PATCH", route, "/api/scheduled/nope", 404, {
      ...user,
      body: { text: "x" },
    }),
    step("DELETE", route, path, 200),
    step("DELETE", route, path, 404),
  ];
}

// The user saves a message of general, lists, and unsaves it; lists its
// mentions; the refusals.
async function savedSteps(
  server: TestServer,
  user: CallOptions,
): Promise<Step[]> {
  const posted = await call(server, "POST", "/api/rooms/general/messages", {
    ...user,
    body: { text: "read later" },
  });
  const route = "/api/saved/{id}";
  const path = `/api/saved/${posted.body.message.id}`;
  // A reminder a day ahead: far from the request's time on a busy machine.
  const ahead = new Date(Date.now() + 24 * 3600_000).toISOString();
  const step = (
    method: string,
    route: string,
    path: string,
    status: number,
    options: CallOptions = user,
  ): Step => ({ method, route, path, options, status });
  return [
    step("PUT", route, path, 200),
    step("PUT", route, path, 200, { ...user, body: { remind_at: ahead } }),
    step("PUT", route, path, 200, { ...user, body: { remind_at: null } }),
    step("PUT", route, path, 400, {
      ...user,
      body: { remind_at: "2000-01-01T00:00:00Z" },
    }),
    step("PUT", route, path, 415, {
      ...user,
      body: "{}",
      headers: { "content-type": "text/plain" },
    }),
    step("PUT", route, "/api/saved/nope", 404),
    step("PUT", route, path, 403, {}),
    step("GET", "/api/saved", "/api/saved?limit=10", 200),
    step("GET", "/api/saved", "/api/saved?ids=true", 200),
    step("GET", "/api/saved", "/api/saved?ids=true&limit=5", 400),
    step("GET", "/api/saved", "/api/saved?limit=1000", 400),
    step("GET", "/api/saved", "/api/saved", 401, {}),
    step("GET", "/api/mentions", "/api/mentions?limit=10", 200),
    step("GET", "/api/mentions", "/api/mentions?limit=1000", 400),
    step("GET", "/api/mentions", "/api/mentions", 401, {}),
    step("DELETE", route, path, 200),
    step("DELETE", route, path, 403, {}),
  ];
}

// The user answers a message of general, reads its thread, lists its
// threads and marks that one read; the refusals.
async function threadSteps(
  server: TestServer,
  user: CallOptions,
): Promise<Step[]> {
  const root = await call(server, "POST", "/api/rooms/general/messages", {
    ...user,
    body: { text: "a question" },
  });
  const id = root.body.message.id;
  await call(server, "POST", "/api/rooms/general/messages", {
    ...user,
    body: { text: "an answer", reply_to: id },
  });
  const route = "/api/messages/{id}/replies";
  const path = `/api/messages/${id}/replies`;
  const step = (path: string, status: number, options = user): Step => ({
    method: "GET",
    route,
    path,
    options,
    status,
  });
  // The user's threads (the one it wrote and answered), and reading it.
  const read = "/api/threads/{id}/read";
  const put = (path: string, status: number, options = user): Step => ({
    method: "PUT",
    route: read,
    path,
    options,
    status,
  });
  const threads = (path: string, status: number, options = user): Step => ({
    method: "GET",
    route: "/api/threads",
    path,
    options,
    status,
  });
  return [
    step(`${path}?limit=5`, 200),
    step("/api/messages/nope/replies", 404),
    step(`${path}?limit=1000`, 400),
    step(path, 401, {}),
    threads("/api/threads?limit=5", 200),
    threads("/api/threads?limit=1000", 400),
    threads("/api/threads", 401, {}),
    put(`/api/threads/${id}/read`, 200),
    put("/api/threads/nope/read", 404),
    put(`/api/threads/${id}/read`, 403, {}),
  ];
}

// The user mutes general, lists, and sets it back; the refusals.
function notifyLevelSteps(user: CallOptions): Step[] {
  const route = "/api/notify-levels";
  const set = (body: unknown, status: number): Step => ({
    method: "PUT",
    route,
    path: route,
    options: { ...user, body },
    status,
  });
  return [
    set({ room: "general", level: "none" }, 200),
    { method: "GET", route, path: route, options: user, status: 200 },
    { method: "GET", route, path: route, status: 401 },
    set({ room: "general", level: "mentions" }, 200),
    set({ with: "bob", level: "all" }, 200),
    set({ room: "nowhere", level: "none" }, 404),
    set({ room: "general", level: "loud" }, 400),
    set({ level: "none" }, 400),
  ];
}

// The user pauses its notifications for an hour, reads it, and resumes;
// the refusals.
function doNotDisturbSteps(user: CallOptions): Step[] {
  const route = "/api/do-not-disturb";
  const set = (body: unknown, status: number): Step => ({
    method: "PUT",
    route,
    path: route,
    options: { ...user, body },
    status,
  });
  return [
    set({ until: Date.now() + 3_600_000 }, 200),
    { method: "GET", route, path: route, options: user, status: 200 },
    { method: "GET", route, path: route, status: 401 },
    set({ until: null }, 200),
    set({ until: Date.now() - 3_600_000 }, 400),
    set({}, 400),
  ];
}

// The user sets a status, reads it and clears it; the refusals.
function statusSteps(user: CallOptions): Step[] {
  const route = "/api/me/status";
  const set = (body: unknown, status: number): Step => ({
    method: "PUT",
    route,
    path: route,
    options: { ...user, body },
    status,
  });
  return [
    set(
      { text: "In a meeting", emoji: "📅", until: Date.now() + 3_600_000 },
      200,
    ),
    { method: "GET", route, path: route, options: user, status: 200 },
    { method: "GET", route, path: route, status: 401 },
    set({}, 200),
    set({ text: "two\nlines" }, 400),
  ];
}

// Edit, react, pin and delete one message of the user's, by its id.
async function messageChangeSteps(
  server: TestServer,
  admin: CallOptions,
  user: CallOptions,
): Promise<Step[]> {
  const posted = await call(server, "POST", "/api/rooms/general/messages", {
    ...user,
    body: { text: "build running" },
  });
  const path = `/api/messages/${posted.body.message.id}`;
  const route = "/api/messages/{id}";
  const reactions = "/api/messages/{id}/reactions";
  const pin = "/api/messages/{id}/pin";
  return [
    {
      method: "PATCH",
      route,
      path,
      options: { ...user, body: { text: "build passed" } },
      status: 200,
    },
    {
      method: "PATCH",
      route,
      path,
      options: { ...admin, body: { text: "mine now" } },
      status: 403,
    },
    {
      method: "PATCH",
      route,
      path,
      options: { ...user, body: { text: " " } },
      status: 400,
    },
    {
      method: "PATCH",
      route,
      path,
      options: { token: "wrong", body: { text: "who?" } },
      status: 401,
    },
    {
      method: "POST",
      route: reactions,
      path: `${path}/reactions`,
      options: { ...user, body: { emoji: ":tada:" } },
      status: 200,
    },
    {
      method: "POST",
      route: reactions,
      path: `${path}/reactions`,
      options: { ...user, body: { emoji: "not an emoji" } },
      status: 400,
    },
    {
      method: "POST",
      route: reactions,
      path: "/api/messages/nothing/reactions",
      options: { ...user, body: { emoji: ":tada:" } },
      status: 404,
    },
    {
      method: "POST",
      route: pin,
      path: `${path}/pin`,
      options: { ...user, body: {} },
      status: 403,
    },
    {
      method: "POST",
      route: pin,
      path: `${path}/pin`,
      options: { ...admin, body: { on: true } },
      status: 200,
    },
    {
      method: "POST",
      route: pin,
      path: "/api/messages/nothing/pin",
      options: { ...admin, body: {} },
      status: 404,
    },
    { method: "DELETE", route, path, options: { token: "wrong" }, status: 401 },
    { method: "DELETE", route, path, options: user, status: 200 },
    { method: "DELETE", route, path, options: user, status: 400 },
  ];
}

// A subscription whose keys pass the checks (a real P-256 point: the
// server checks it is on the curve); removed before any push.
function pushSteps(user: CallOptions): Step[] {
  const route = "/api/push/subscriptions";
  const endpoint = "http://127.0.0.1:9/push/bob";
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  const keys = {
    p256dh: base64url(new Uint8Array(ecdh.getPublicKey())),
    auth: base64url(new Uint8Array(16)),
  };
  return [
    {
      method: "GET",
      route: "/api/push/vapid-public-key",
      path: "/api/push/vapid-public-key",
      status: 200,
    },
    {
      method: "POST",
      route,
      path: route,
      options: { token: "wrong", body: { endpoint, keys } },
      status: 401,
    },
    {
      method: "POST",
      route,
      path: route,
      options: { ...user, body: { endpoint } },
      status: 400,
    },
    {
      method: "POST",
      route,
      path: route,
      options: { ...user, body: { endpoint, keys } },
      status: 201,
    },
    {
      method: "DELETE",
      route,
      path: route,
      options: { ...user, body: { endpoint } },
      status: 204,
    },
    {
      method: "DELETE",
      route,
      path: route,
      options: { ...user, body: { endpoint } },
      status: 404,
    },
    {
      method: "DELETE",
      route,
      path: route,
      options: { ...user, body: {} },
      status: 400,
    },
  ];
}

function base64url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes)).replaceAll("+", "-")
    .replaceAll("/", "_").replace(/=+$/, "");
}

Deno.test("OpenAPI: every documented route answers with a documented status and body", () =>
  withServer(async (server) => {
    const fetched = await call(server, "GET", "/api/openapi.json");
    assert.equal(fetched.status, 200);
    const doc = fetched.body as Document;
    assert.equal(doc.openapi, "3.1.0");
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const validate = (schema: Record<string, unknown>, answer: Answer) => {
      // Component references resolve against the root of what is compiled.
      const check = ajv.compile({ ...schema, components: doc.components });
      return check(answer.body) ? undefined : ajv.errorsText(check.errors);
    };
    const called = new Set<string>();
    for (const step of await steps(server)) {
      const path = typeof step.path === "string" ? step.path : step.path();
      const what = `${step.method} ${path}`;
      const operation = doc.paths[step.route]?.[step.method.toLowerCase()];
      assert.ok(operation, `${step.method} ${step.route} is not documented`);
      called.add(`${step.method} ${step.route}`);
      const answer = await call(server, step.method, path, step.options);
      step.then?.(answer);
      assert.equal(
        answer.status,
        step.status,
        `${what}: ${JSON.stringify(answer.body)}`,
      );
      const documented = operation.responses[String(answer.status)];
      assert.ok(
        documented,
        `${what} answered ${answer.status}, not documented`,
      );
      const schema = documented.content?.["application/json"]?.schema;
      if (schema === undefined) {
        // A file's bytes are documented as such, not as JSON.
        if (documented.content === undefined) {
          assert.equal(answer.body, undefined, `${what} has a body`);
        }
        continue;
      }
      assert.match(
        answer.headers.get("content-type") ?? "",
        /application\/json/,
      );
      const problem = validate(schema, answer);
      assert.equal(problem, undefined, `${what}: ${problem}`);
    }
    // The check itself tells a wrong body.
    const wrong = validate(
      { $ref: "#/components/schemas/MessageReply" },
      { status: 201, headers: new Headers(), body: { message: { id: 5 } } },
    );
    assert.ok(wrong, "a wrong body passed the schema");
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`)
    );
    assert.deepEqual(
      documented.filter((op) => !called.has(op)),
      [],
      "documented but never called",
    );
  }, { webhookAllow: ["127.0.0.1"] }));

/** One probe of {@link probes}: what is sent, and the status it must get. */
interface Probe {
  what: string;
  options: CallOptions;
  /** Undefined: any status the operation documents. */
  status?: number;
}

/**
 * What every operation is sent by the walk below, whatever it does: a
 * wrong token, a session cookie from another site's page, a body that is
 * not JSON to one that takes JSON, a body over 64 KiB. `fresh` is a new
 * token of the admin for each probe that carries one (`POST /api/logout`
 * ends the token it is sent with).
 */
function probes(
  method: string,
  operation: Operation & {
    requestBody?: { content?: Record<string, unknown> };
  },
  cookie: string,
  fresh: () => Promise<string>,
): (() => Probe | Promise<Probe>)[] {
  const write = method !== "GET";
  const types = Object.keys(operation.requestBody?.content ?? {});
  const list: (() => Probe | Promise<Probe>)[] = [
    () => ({
      what: "a wrong token",
      options: { token: "chat_wrong", ...(write ? { body: {} } : {}) },
    }),
  ];
  if (!write) return list;
  list.push(() => ({
    what: "another site's page with the session cookie",
    options: {
      body: {},
      headers: { cookie, origin: "https://elsewhere.example" },
    },
  }));
  list.push(async () => ({
    what: "a body over 64 KiB",
    options: { token: await fresh(), body: { text: "x".repeat(70_000) } },
  }));
  if (types.length === 1 && types[0] === "application/json") {
    list.push(async () => ({
      what: "a JSON body sent as text/plain",
      options: {
        token: await fresh(),
        body: "{}",
        headers: { "content-type": "text/plain" },
      },
      status: 415,
    }));
  }
  return list;
}

Deno.test("OpenAPI: every documented operation answers a wrong token, another site's cookie, a body not sent as JSON and one over 64 KiB with a status and body it documents", () =>
  withServer(async (server) => {
    const doc = (await call(server, "GET", "/api/openapi.json"))
      .body as Document;
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    const root = await accountWithToken(server, "root");
    const fresh = async () =>
      (await call(server, "POST", "/api/tokens", {
        token: root.token,
        body: { name: "probe" },
      })).body.token as string;
    const wrong: string[] = [];
    for (const [route, operations] of Object.entries(doc.paths)) {
      // Path parameters name things that exist where a name is needed.
      const path = route.replace("{room}", "general").replace("{bot}", "root")
        .replace("{user}", "root").replace(/\{[^}]+\}/g, "nothing");
      for (const [lower, operation] of Object.entries(operations)) {
        const method = lower.toUpperCase();
        for (const make of probes(method, operation, root.cookie, fresh)) {
          const probe = await make();
          const answer = await call(server, method, path, probe.options);
          const where = `${method} ${route}, ${probe.what}: ${answer.status}`;
          const documented = operation.responses[String(answer.status)];
          const schema = documented?.content?.["application/json"]?.schema;
          if (probe.status !== undefined && answer.status !== probe.status) {
            wrong.push(`${where}, not ${probe.status}`);
          } else if (documented === undefined) {
            wrong.push(`${where}, not documented`);
          } else if (schema !== undefined) {
            const check = ajv.compile({
              ...schema,
              components: doc.components,
            });
            if (!check(answer.body)) {
              wrong.push(`${where}, ${ajv.errorsText(check.errors)}`);
            }
          }
        }
      }
    }
    assert.deepEqual(wrong, []);
  }, {
    webhookAllow: ["127.0.0.1"],
    // A fresh token per probe, past the pace of setups (api_test.ts).
    rateLimits: { ...DEFAULT_RATE_LIMITS, perIntegrationSetup: undefined },
  }));

// CPU time of this process (the server runs in it) spent on `count`
// requests for `path`, in microseconds.
async function cpuOf(
  server: { url: string },
  path: string,
  count: number,
): Promise<number> {
  const before = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const answer = await fetch(server.url + path);
    assert.equal(answer.status, 200, path);
    await answer.arrayBuffer();
  }
  const spent = process.cpuUsage(before);
  return spent.user + spent.system;
}

Deno.test("OpenAPI: the document is built once, so asking for it again and again costs about what the client's stylesheet of the same size costs", () =>
  withServer(async (server) => {
    const first = await (await fetch(server.url + "/api/openapi.json")).text();
    await cpuOf(server, "/styles.css", 20);
    // Built for each request, the document cost 12 times a room list (7
    // against 0.6 ms of CPU); served from memory, about what the 54 KB
    // stylesheet costs from the disk (both read by the client here too).
    // CPU time, not the clock: a busy machine slows both alike.
    const document = await cpuOf(server, "/api/openapi.json", 100);
    const stylesheet = await cpuOf(server, "/styles.css", 100);
    assert.ok(
      document < stylesheet * 3,
      `100 documents took ${document} µs of CPU, 100 stylesheets ${stylesheet}`,
    );
    const again = await (await fetch(server.url + "/api/openapi.json")).text();
    assert.equal(again, first);
  }));
