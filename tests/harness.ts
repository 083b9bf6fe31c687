/**
 * Test helpers: a real server on a free loopback port with a temporary
 * database, and a WebSocket client that records every frame it receives.
 */
import {
  type RunningServer,
  type StartParts,
  startServer,
} from "../server/mod.ts";
import type { Config } from "../server/config.ts";
import { CHEAP_PASSWORDS } from "./cheap_passwords.ts";
import {
  postgresSkipReason,
  redisSkipReason,
  startPostgres,
  startRedis,
} from "./services.ts";

/** One decoded server frame object. */
export interface Frame {
  action: string;
  id?: string;
  data: Record<string, unknown> & { request?: string; code?: string };
  timestamp: string;
}

/** A server started for one test, with its own temporary folder. */
export interface TestServer extends RunningServer {
  /** The WebSocket URL. */
  wsUrl: string;
  /** The temporary folder holding the database. */
  dir: string;
  /** Shuts down and removes the temporary folder. */
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1, port 0, with a fresh database file. Its
 * passwords cost little (tests/cheap_passwords.ts) unless `parts` says
 * otherwise.
 */
export async function startTestServer(
  options: Partial<Config> = {},
  parts: StartParts = {},
): Promise<TestServer> {
  const dir = await Deno.makeTempDir({ prefix: "chat-test-" });
  const server = await startServer({
    hostname: "127.0.0.1",
    port: 0,
    db: `${dir}/chat.db`,
    // A test may open a socket, then do slow work (other accounts, a busy
    // machine's turns) before it logs in: the default 10 s would race
    // that. Tests of the login timeout set their own.
    loginTimeoutSeconds: 600,
    ...options,
  }, {
    passwords: CHEAP_PASSWORDS,
    // On PostgreSQL, uploads stage in its folder, not in /tmp's
    // chat-uploads-UID, which outlives a node by design.
    tempDir: dir,
    ...parts,
  });
  return {
    ...server,
    shutdown: server.shutdown,
    wsUrl: `${server.url.replace("http", "ws")}/ws`,
    dir,
    async close() {
      await server.shutdown();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

/** Runs a test body against a fresh server and always stops it. */
export async function withServer(
  body: (server: TestServer) => Promise<void>,
  options: Partial<Config> = {},
): Promise<void> {
  const server = await startTestServer(options);
  try {
    await body(server);
  } finally {
    await server.close();
  }
}

/**
 * How long a reply or event is waited for by default: far above what any
 * request takes on a busy 2-core machine, so only a server that never
 * answers fails on it. "Nothing happened" is never shown by this running
 * out: tests use a barrier (a round trip after the event that would have
 * come) instead.
 */
const DEFAULT_WAIT_MS = 60_000;

/**
 * How long to wait for the answer to work whose time depends on the
 * machine: a password check waits its turn behind the others. At the
 * server's cost (single servers run as processes, spawnServer, and those
 * given SCRYPT_PASSWORDS) each takes 0.4 s of a core alone and ten times
 * that on a busy 2-core machine; startTestServer's servers and the nodes of
 * clusters (tests/cheap_main.ts) hash at N=2^10 (tests/cheap_passwords.ts),
 * a few ms. Replies that hash a password wait
 * this long by default either way (see TestClient.request): the wait ends
 * with the answer, so it costs a test nothing when the hash is cheap.
 */
export const PATIENT_WAIT_MS = 300_000;

/** A password that meets the rules, for tests that register accounts. */
export const TEST_PASSWORD = "correct horse battery";

/**
 * A protocol client for tests: records every object the server sends
 * (batched frames split on "\n"), matches replies by id, waits for events.
 */
export class TestClient {
  readonly socket: WebSocket;
  /** Every object received, in order. */
  readonly received: Frame[] = [];
  /** Every WebSocket frame received, as sent (objects joined by "\n"). */
  readonly rawFrames: string[] = [];
  /**
   * How many replies (success or error) came, counted as they come: the
   * bursts' waits (fuzz_test.ts) ask at each frame, and counting them
   * over `received` each time was 2.9 s of fuzz_test.ts's loop.
   */
  get replies(): number {
    return this.#replies;
  }
  #replies = 0;
  /** Close code once closed. */
  closeCode?: number;
  /**
   * The error Deno gave before the close, if any: its close then says code
   * 0 ("Unexpected EOF": the server cut the connection; "Failed to send
   * frame": it closed while this client still sent).
   */
  closeError?: string;
  readonly closed: Promise<CloseEvent>;
  #nextId = 1;
  #waiters = new Set<() => void>();

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.addEventListener("error", (event) => {
      this.closeError = (event as ErrorEvent).message;
    });
    this.closed = new Promise((resolve) => {
      socket.addEventListener("close", (event) => {
        this.closeCode = event.code;
        this.#wake();
        resolve(event);
      });
    });
    socket.addEventListener("message", (event) => {
      this.rawFrames.push(String(event.data));
      for (const line of String(event.data).split("\n")) {
        const frame: Frame = JSON.parse(line);
        this.received.push(frame);
        if (frame.action === "success" || frame.action === "error") {
          this.#replies++;
        }
      }
      this.#wake();
    });
  }

  /** Opens a connection (optionally with headers such as Origin). */
  static async connect(
    url: string,
    init?: { headers?: HeadersInit },
  ): Promise<TestClient> {
    const socket = init
      ? new WebSocket(url, { headers: init.headers } as unknown as string[])
      : new WebSocket(url);
    const client = new TestClient(socket);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener(
        "error",
        () => reject(new Error(`Cannot connect to ${url}`)),
        { once: true },
      );
    });
    return client;
  }

  /** Opens a connection and logs in as a guest; fails the test otherwise. */
  static async login(
    url: string,
    username: string,
    init?: { headers?: HeadersInit },
  ): Promise<TestClient> {
    return await TestClient.#enter(url, "login", { username }, init);
  }

  /** Opens a connection and registers an account; fails the test otherwise. */
  static async register(
    url: string,
    username: string,
    password: string = TEST_PASSWORD,
    init?: { headers?: HeadersInit },
  ): Promise<TestClient> {
    return await TestClient.#enter(
      url,
      "register",
      { username, password },
      init,
    );
  }

  /**
   * Opens a connection and sends `login` with this data (a password, a
   * token, or none when `init` carries the session cookie); fails the test
   * unless it succeeds.
   */
  static async loginWith(
    url: string,
    data?: Record<string, unknown>,
    init?: { headers?: HeadersInit },
  ): Promise<TestClient> {
    return await TestClient.#enter(url, "login", data, init);
  }

  static async #enter(
    url: string,
    action: "login" | "register",
    data: Record<string, unknown> | undefined,
    init?: { headers?: HeadersInit },
  ): Promise<TestClient> {
    const client = await TestClient.connect(url, init);
    // A password is checked by scrypt, in turn with the other checks: as
    // long as the machine takes.
    const reply = await client.request(action, data, {
      timeoutMs: data?.password === undefined ? undefined : PATIENT_WAIT_MS,
    });
    if (reply.action !== "success") {
      await client.close();
      throw new Error(
        `${action} ${JSON.stringify(data?.username ?? "")} failed: ${
          JSON.stringify(reply.data)
        }`,
      );
    }
    return client;
  }

  /** The session token of this connection's account login, if it has one. */
  get token(): string | undefined {
    const reply = this.received.find((f) =>
      f.action === "success" &&
      (f.data.request === "login" || f.data.request === "register") &&
      typeof f.data.token === "string"
    );
    return reply?.data.token as string | undefined;
  }

  #wake(): void {
    for (const waiter of this.#waiters) waiter();
  }

  /** Sends any object (or raw text) as one frame. */
  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
  }

  /**
   * Sends a request with a fresh id and returns its reply (waiting at most
   * `timeoutMs`: by default 60 s, or PATIENT_WAIT_MS when it hashes a
   * password).
   */
  async request(
    action: string,
    data?: Record<string, unknown>,
    options: { timeoutMs?: number } = {},
  ): Promise<Frame> {
    const id = `r${this.#nextId++}`;
    this.send(data === undefined ? { action, id } : { action, data, id });
    // A password costs one scrypt hash, in turn with the others: a few ms
    // at the tests' cost, 0.4 s alone at the server's and seconds when a
    // busy machine hashes several at once. Such a reply is waited for as
    // long as it takes.
    const hashing = action === "register" || action === "change_password" ||
      (action === "login" && data?.password !== undefined);
    return await this.waitFor(
      (f) => f.id === id,
      `reply to ${action} (${id})`,
      {
        timeoutMs: options.timeoutMs ??
          (hashing ? PATIENT_WAIT_MS : DEFAULT_WAIT_MS),
      },
    );
  }

  /** Sends a request and returns its success data; throws on an error reply. */
  async ok(
    action: string,
    data?: Record<string, unknown>,
  ): Promise<Frame["data"]> {
    const reply = await this.request(action, data);
    if (reply.action !== "success") {
      throw new Error(`${action} failed: ${JSON.stringify(reply.data)}`);
    }
    return reply.data;
  }

  /**
   * Waits for the first received object matching `match` that arrived at or
   * after index `from` (default: any, including ones already received).
   * Each object is given to `match` once, when it has come: a `match` that
   * looks at the client rather than at its frame (a count of replies) is
   * asked again as each one comes.
   */
  waitFor(
    match: (frame: Frame) => boolean,
    what = "a matching frame",
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<Frame> {
    // Where the next look starts. Looking at every object again at each
    // frame made a wait for the end of a burst quadratic in it, cubic with
    // a `match` that counts them all, on the loop the test's server shares:
    // the action walk's stalls of 10 s and more, 3.0 s of envelope_test.ts's
    // loop (0.9 s with this; docs/performance.md, "The action walk's stalls").
    let next = options.from ?? 0;
    return new Promise((resolve, reject) => {
      const check = () => {
        for (; next < this.received.length; next++) {
          const frame = this.received[next];
          if (match(frame)) {
            done();
            resolve(frame);
            return;
          }
        }
        if (this.closeCode !== undefined) {
          done();
          const error = this.closeError ? `, ${this.closeError}` : "";
          reject(
            new Error(
              `Socket closed (${this.closeCode}${error}) waiting for ${what}`,
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`Timed out waiting for ${what}`));
      }, options.timeoutMs ?? DEFAULT_WAIT_MS);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Waits for an event (no id) with this action, received after `from`. */
  event(
    action: string,
    match: (data: Frame["data"]) => boolean = () => true,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<Frame> {
    return this.waitFor(
      (f) => f.action === action && f.id === undefined && match(f.data),
      `event ${action}`,
      options,
    );
  }

  /** Received events with this action, in order. */
  events(action: string): Frame[] {
    return this.received.filter((f) =>
      f.action === action && f.id === undefined
    );
  }

  /** Closes the socket and waits for the close to complete. */
  async close(): Promise<void> {
    if (this.socket.readyState < WebSocket.CLOSING) this.socket.close(1000);
    await this.closed;
  }
}

/**
 * Sends a request and checks that it fails with `code`, carrying the
 * request's action and a message for people.
 */
export async function expectError(
  client: TestClient,
  action: string,
  data: Record<string, unknown> | undefined,
  code: string,
  options: { timeoutMs?: number } = {},
): Promise<Frame> {
  const reply = await client.request(action, data, options);
  if (reply.action !== "error" || reply.data.code !== code) {
    throw new Error(
      `${action} ${JSON.stringify(data)} should fail with ${code}, got ${
        JSON.stringify(reply.data)
      }`,
    );
  }
  if (reply.data.request !== action) {
    throw new Error(`error reply names request ${reply.data.request}`);
  }
  if (typeof reply.data.message !== "string" || reply.data.message === "") {
    throw new Error(`error ${code} has no message`);
  }
  return reply;
}

/**
 * A round trip on a logged-in connection: once it returns, every event
 * published before it was sent has arrived. Returns the reply's index in
 * `received`.
 */
export async function roundTrip(client: TestClient): Promise<number> {
  const reply = await client.request("list_rooms");
  return client.received.indexOf(reply);
}

/** Number of replies (success or error) a client has received. */
export function replyCount(client: TestClient): number {
  return client.replies;
}

/** The `system` events of this kind about `user` received so far. */
export function notices(
  client: TestClient,
  kind: string,
  user: string,
): Frame[] {
  return client.events("system").filter((f) =>
    f.data.kind === kind && f.data.user === user
  );
}

/** A room in a `room_list` or a login reply, as the contract defines it. */
export interface RoomSummary {
  name: string;
  users: number;
}

/** The `rooms` of a reply or event. */
export function roomsOf(data: Frame["data"]): RoomSummary[] {
  return data.rooms as RoomSummary[];
}

/** A room's user count in a room list; undefined when it is not listed. */
export function usersIn(
  rooms: RoomSummary[],
  name: string,
): number | undefined {
  return rooms.find((r) => r.name === name)?.users;
}

/** A counter or gauge of a server's /metrics. */
export async function metric(serverUrl: string, name: string): Promise<number> {
  const { text } = await httpGet(`${serverUrl}/metrics`);
  const value = new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1];
  if (value === undefined) throw new Error(`/metrics has no ${name}`);
  return Number(value);
}

/** The clients one test opened against one server, closed together. */
export class ClientPool {
  readonly wsUrl: string;
  #clients: TestClient[] = [];
  #init: { headers: HeadersInit } | undefined;

  /**
   * `headers` go with every connection of the pool that is given none of
   * its own (e.g. an X-Forwarded-For, for an address of the pool's own).
   */
  constructor(wsUrl: string, options: { headers?: HeadersInit } = {}) {
    this.wsUrl = wsUrl;
    this.#init = options.headers ? { headers: options.headers } : undefined;
  }

  /** Connects without logging in. */
  async connect(init?: { headers?: HeadersInit }): Promise<TestClient> {
    return this.#track(
      await TestClient.connect(this.wsUrl, init ?? this.#init),
    );
  }

  /** Connects and logs in as a guest. */
  async guest(username: string): Promise<TestClient> {
    return this.#track(
      await TestClient.login(this.wsUrl, username, this.#init),
    );
  }

  /** Connects and registers an account. */
  async register(username: string, password?: string): Promise<TestClient> {
    return this.#track(
      await TestClient.register(this.wsUrl, username, password, this.#init),
    );
  }

  /** Connects and logs in with this data (password, token, or cookie). */
  async login(
    data?: Record<string, unknown>,
    init?: { headers?: HeadersInit },
  ): Promise<TestClient> {
    return this.#track(
      await TestClient.loginWith(this.wsUrl, data, init ?? this.#init),
    );
  }

  /** Closes every client opened so far. */
  async closeAll(): Promise<void> {
    await Promise.all(this.#clients.splice(0).map((c) => c.close()));
  }

  #track(client: TestClient): TestClient {
    this.#clients.push(client);
    return client;
  }
}

/** Runs a test body with a fresh server and a client pool; closes both. */
export function withClients(
  body: (pool: ClientPool, server: TestServer) => Promise<void>,
  options: Partial<Config> = {},
): Promise<void> {
  return withServer((server) => withPool(server, body), options);
}

/** Runs a test body with a client pool on a running server; closes the clients. */
export async function withPool(
  server: TestServer,
  body: (pool: ClientPool, server: TestServer) => Promise<void>,
): Promise<void> {
  const pool = new ClientPool(server.wsUrl);
  try {
    await body(pool, server);
  } finally {
    await pool.closeAll();
  }
}

// One under the 20 accounts an hour one address may register
// (accounts/service.ts), as the tests that needed more counted.
const ACCOUNTS_PER_ADDRESS = 19;

/** What {@link withAccountsAcrossAddresses} gives its body. */
export interface AccountsAcrossAddresses {
  server: TestServer;
  /** The clients of one address (198.51.100.1), for the test's own few. */
  pool: ClientPool;
  /**
   * Registers `username` from another address (198.51.100.2 and on),
   * the next one once this one has registered its share.
   */
  register(username: string): Promise<TestClient>;
}

/**
 * Runs a test body with a fresh server that trusts X-Forwarded-For
 * (`options` on top), whose clients come from as many addresses as their
 * accounts need: more than one address may register in an hour (a
 * group, or a room, of 51); closes every client and the server.
 */
export async function withAccountsAcrossAddresses(
  body: (accounts: AccountsAcrossAddresses) => Promise<void>,
  options: Partial<Config> = {},
): Promise<void> {
  const server = await startTestServer({ ...options, trustProxy: true });
  const pools: ClientPool[] = [];
  const poolAt = (i: number) =>
    pools[i] ??= new ClientPool(server.wsUrl, {
      headers: { "x-forwarded-for": `198.51.100.${i + 1}` },
    });
  let registered = 0;
  try {
    await body({
      server,
      pool: poolAt(0),
      register: (username) =>
        poolAt(1 + Math.floor(registered++ / ACCOUNTS_PER_ADDRESS))
          .register(username),
    });
  } finally {
    for (const pool of pools) await pool.closeAll();
    await server.close();
  }
}

/**
 * A receiver on 127.0.0.1 that takes connections and never answers (a
 * push service or webhook receiver gone silent), counting how many the
 * server holds open at once and how many it ended.
 */
export function startSilentListener(): {
  url: string;
  /** Connections open now. */
  open(): number;
  /** Most connections open at once so far. */
  mostOpen(): number;
  /** Connections the other side closed. */
  ended(): number;
  close(): Promise<void>;
} {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns: Deno.Conn[] = [];
  let open = 0;
  let most = 0;
  let ended = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      conns.push(conn);
      most = Math.max(most, ++open);
      conn.readable.pipeTo(new WritableStream()).catch(() => {})
        .finally(() => {
          open--;
          ended++;
        });
    }
  })().catch(() => {});
  return {
    url: `http://127.0.0.1:${listener.addr.port}`,
    open: () => open,
    mostOpen: () => most,
    ended: () => ended,
    async close() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* already closed: the server ended the call */ }
      }
      await accepting;
    },
  };
}

/** Resolves after `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A server running as its own process (`deno run main.ts`), for crash tests. */
export interface ServerProcess {
  url: string;
  wsUrl: string;
  process: Deno.ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Sends a signal and waits for the exit status. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
}

/** The server's main module, which test processes run. */
export const MAIN = new URL("../main.ts", import.meta.url).pathname;
/** `main.ts` at the tests' password cost, for the nodes of clusters (tests/cheap_main.ts). */
export const CHEAP_MAIN = new URL("./cheap_main.ts", import.meta.url).pathname;

/** The URL a server's output says it listens on, once it says so. */
export function listeningUrl(output: string): string | undefined {
  // Pretty logs print the URL bare, JSON logs in quotes.
  return /Listening on \\?"?(http:\/\/[^\s"\\]+)/.exec(output)?.[1];
}

/**
 * Starts the server as a child process on a free port and waits until it
 * listens: `main.ts` under this Deno by default, or another executable.
 */
export async function spawnServer(
  args: string[],
  options: {
    executable?: string;
    /** The script it runs under this Deno, without `executable`; default: MAIN. */
    main?: string;
    /** The folder it runs in; default: this one. */
    cwd?: string;
    /** Runs it under `ulimit -n` of this many open files. */
    limitOpenFiles?: number;
    /** A program the server runs under, with its arguments (e.g. strace). */
    wrapper?: string[];
  } = {},
): Promise<ServerProcess> {
  const server = options.executable
    ? [options.executable]
    : [Deno.execPath(), "run", "--allow-all", options.main ?? MAIN];
  let [command, ...prefix] = [...(options.wrapper ?? []), ...server];
  if (options.limitOpenFiles !== undefined) {
    prefix = [
      "-c",
      `ulimit -n ${options.limitOpenFiles} && exec "$0" "$@"`,
      command,
      ...prefix,
    ];
    command = "bash";
  }
  // Its TMPDIR, removed when it stops: on PostgreSQL a node stages
  // uploads in a chat-uploads-UID there, which in /tmp outlives it by
  // design (the nodes of a machine share it).
  const tempDir = await Deno.makeTempDir({ prefix: "chat-spawned-" });
  const removeTempDir = () =>
    Deno.remove(tempDir, { recursive: true }).catch(() => {});
  let process: Deno.ChildProcess;
  try {
    process = new Deno.Command(command, {
      args: [...prefix, "--host", "127.0.0.1", "--port", "0", ...args],
      cwd: options.cwd,
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1", TMPDIR: tempDir },
    }).spawn();
  } catch (error) {
    await removeTempDir();
    throw error;
  }
  let text = "";
  const decoder = new TextDecoder();
  const { promise: listening, resolve, reject } = Promise.withResolvers<
    string
  >();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      const url = listeningUrl(text);
      if (url) resolve(url);
    }
  };
  const pumps = Promise.all([pump(process.stdout), pump(process.stderr)]);
  const status = process.status.then(async (s) => {
    // Its pipes close as it exits: what it said last is read before the
    // refusal quotes it (on a busy machine the exit can come first).
    await pumps.catch(() => {});
    reject(new Error(`Server exited (${s.code}) before listening:\n${text}`));
    return s;
  });
  const timer = setTimeout(
    () => reject(new Error(`Server did not start:\n${text}`)),
    // Starting Deno and loading the server takes seconds on a busy machine.
    120_000,
  );
  try {
    const url = await listening;
    return {
      url,
      wsUrl: `${url.replace("http", "ws")}/ws`,
      process,
      output: () => text,
      async stop(signal: Deno.Signal = "SIGTERM") {
        try {
          process.kill(signal);
        } catch {
          // Already gone.
        }
        const result = await status;
        await pumps;
        await removeTempDir();
        return result;
      },
    };
  } catch (error) {
    try {
      process.kill("SIGKILL");
    } catch {
      // Already gone.
    }
    await status;
    await pumps;
    await removeTempDir();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A WebSocket spoken over raw TCP, for what the WebSocket API hides: the
 * status of a refused upgrade, and dropping the connection without a close
 * frame (a client that vanishes).
 */
export class RawSocket {
  /** HTTP status of the upgrade reply (101 when accepted). */
  readonly status: number;
  /** Header lines of the upgrade reply. */
  readonly head: string;
  #conn: Deno.Conn;
  #buffer: Uint8Array;
  #closed = false;

  private constructor(
    conn: Deno.Conn,
    status: number,
    head: string,
    rest: Uint8Array,
  ) {
    this.#conn = conn;
    this.status = status;
    this.head = head;
    this.#buffer = rest;
  }

  /** Sends an upgrade request to `url` (http or ws) with extra headers. */
  static async open(
    url: string,
    headers: Record<string, string> = {},
  ): Promise<RawSocket> {
    const target = new URL(url);
    const conn = await Deno.connect({
      hostname: target.hostname,
      port: Number(target.port),
    });
    try {
      const key = btoa(
        String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))),
      );
      const lines = [
        `GET ${target.pathname} HTTP/1.1`,
        `Host: ${target.host}`,
        "Upgrade: websocket",
        "Connection: Upgrade",
        `Sec-WebSocket-Key: ${key}`,
        "Sec-WebSocket-Version: 13",
        ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
      ];
      await writeAll(
        conn,
        new TextEncoder().encode(lines.join("\r\n") + "\r\n\r\n"),
      );
      let buffer: Uint8Array = new Uint8Array(0);
      let end = -1;
      while (end < 0) {
        const chunk = new Uint8Array(4096);
        const n = await conn.read(chunk);
        if (n === null) throw new Error("Connection closed during upgrade");
        buffer = concat(buffer, chunk.subarray(0, n));
        end = indexOfHeadEnd(buffer);
      }
      const head = new TextDecoder().decode(buffer.subarray(0, end));
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
      return new RawSocket(conn, status, head, buffer.slice(end + 4));
    } catch (error) {
      conn.close();
      throw error;
    }
  }

  /** Sends one masked text frame. */
  async sendText(text: string): Promise<void> {
    await this.sendFrame({ opcode: 0x1, payload: text });
  }

  /**
   * Sends one frame exactly as described (RFC 6455 section 5.2), for
   * tests of what a well-behaved client never sends: any opcode, reserved
   * bits, no FIN, unmasked.
   */
  async sendFrame(frame: {
    opcode: number;
    payload?: Uint8Array | string;
    fin?: boolean;
    /** The three reserved bits, as a number from 0 to 7. */
    rsv?: number;
    masked?: boolean;
  }): Promise<void> {
    await writeAll(this.#conn, encodeFrame(frame));
  }

  /** Sends bytes as they are (several frames, or half of one). */
  async sendBytes(bytes: Uint8Array): Promise<void> {
    await writeAll(this.#conn, bytes);
  }

  /** Reads the next unfragmented text frame from the server. */
  async readText(): Promise<string> {
    for (;;) {
      const frame = parseFrame(this.#buffer);
      if (frame) {
        this.#buffer = this.#buffer.slice(frame.size);
        if (frame.opcode === 0x1) {
          return new TextDecoder().decode(frame.payload);
        }
        continue;
      }
      const chunk = new Uint8Array(65536);
      const n = await this.#conn.read(chunk);
      if (n === null) throw new Error("Connection closed while reading");
      this.#buffer = concat(this.#buffer, chunk.subarray(0, n));
    }
  }

  /**
   * Reads the next frame of any kind (text, close, ping...), or null once
   * the server has closed the TCP connection.
   */
  async readFrame(): Promise<{ opcode: number; payload: Uint8Array } | null> {
    for (;;) {
      const frame = parseFrame(this.#buffer);
      if (frame) {
        this.#buffer = this.#buffer.slice(frame.size);
        return { opcode: frame.opcode, payload: frame.payload.slice() };
      }
      const chunk = new Uint8Array(65536);
      let n: number | null;
      try {
        n = await this.#conn.read(chunk);
      } catch {
        // Reset by the server.
        n = null;
      }
      if (n === null) return null;
      this.#buffer = concat(this.#buffer, chunk.subarray(0, n));
    }
  }

  /**
   * Reads every frame up to the server's close frame (included) or the end
   * of the TCP connection; `code` is the close frame's status, if one came.
   */
  async readUntilClose(): Promise<{
    frames: { opcode: number; payload: Uint8Array }[];
    code?: number;
  }> {
    const frames = [];
    for (;;) {
      const frame = await this.readFrame();
      if (frame === null) return { frames };
      frames.push(frame);
      if (frame.opcode === 0x8) {
        const { payload } = frame;
        // A close frame may carry no status (RFC 6455 5.5.1).
        if (payload.length < 2) return { frames };
        return { frames, code: (payload[0] << 8) | payload[1] };
      }
    }
  }

  /** Drops the TCP connection at once, without a WebSocket close frame. */
  abort(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.close();
  }
}

/** One client frame as bytes (masked unless told otherwise). */
export function encodeFrame(frame: {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  rsv?: number;
  masked?: boolean;
}): Uint8Array {
  const payload = typeof frame.payload === "string"
    ? new TextEncoder().encode(frame.payload)
    : frame.payload ?? new Uint8Array(0);
  const masked = frame.masked ?? true;
  const first = ((frame.fin ?? true) ? 0x80 : 0) | ((frame.rsv ?? 0) << 4) |
    (frame.opcode & 0x0f);
  const maskBit = masked ? 0x80 : 0;
  const header: number[] = [first];
  if (payload.length < 126) {
    header.push(maskBit | payload.length);
  } else if (payload.length < 65536) {
    header.push(maskBit | 126, payload.length >> 8, payload.length & 0xff);
  } else {
    header.push(maskBit | 127);
    const length = new Uint8Array(8);
    new DataView(length.buffer).setBigUint64(0, BigInt(payload.length));
    header.push(...length);
  }
  const mask = masked
    ? crypto.getRandomValues(new Uint8Array(4))
    : new Uint8Array(0);
  const out = new Uint8Array(header.length + mask.length + payload.length);
  out.set(header);
  out.set(mask, header.length);
  const start = header.length + mask.length;
  for (let i = 0; i < payload.length; i++) {
    out[start + i] = masked ? payload[i] ^ mask[i % 4] : payload[i];
  }
  return out;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    written += await conn.write(bytes.subarray(written));
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (
      bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 &&
      bytes[i + 3] === 10
    ) return i;
  }
  return -1;
}

function parseFrame(
  bytes: Uint8Array,
): { opcode: number; payload: Uint8Array; size: number } | undefined {
  if (bytes.length < 2) return undefined;
  const opcode = bytes[0] & 0x0f;
  let length = bytes[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = (bytes[2] << 8) | bytes[3];
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(
      new DataView(bytes.buffer, bytes.byteOffset + 2, 8).getBigUint64(0),
    );
    offset = 10;
  }
  if (bytes.length < offset + length) return undefined;
  return {
    opcode,
    payload: bytes.subarray(offset, offset + length),
    size: offset + length,
  };
}

/** Options of {@link startCluster}. */
export interface ClusterOptions {
  /** How many server processes (default 3). */
  nodes?: number;
  /** Flags given to every node besides the shared backends and its id. */
  args?: string[];
  /** Node ids are this prefix and 1, 2, 3... (default "n"). */
  idPrefix?: string;
}

/** Server processes sharing one PostgreSQL database and one Redis. */
export interface Cluster {
  /** The nodes, in id order: `nodes[0]` is `<prefix>1`. */
  readonly nodes: ServerProcess[];
  /** Stops every node (SIGTERM; a node already dead is skipped). */
  stop(): Promise<void>;
  /** Every node's output so far, each under its id, for failure messages. */
  output(): string;
  /** The database they share, to change rows straight in. */
  readonly databaseUrl: string;
}

/**
 * Starts `chat-server` processes on free ports, all on one database and one
 * Redis, as several nodes behind a load balancer would run.
 */
export async function startCluster(
  databaseUrl: string,
  redisUrl: string,
  options: ClusterOptions = {},
): Promise<Cluster> {
  const count = options.nodes ?? 3;
  const prefix = options.idPrefix ?? "n";
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  const started = await Promise.allSettled(ids.map((id) =>
    spawnServer([
      "--database-url",
      databaseUrl,
      "--redis-url",
      redisUrl,
      "--node-id",
      id,
      ...(options.args ?? []),
    ], { main: CHEAP_MAIN })
  ));
  const nodes = started.flatMap((r) =>
    r.status === "fulfilled" ? [r.value] : []
  );
  const failed = started.find((r) => r.status === "rejected");
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  if (failed) {
    await stop();
    throw (failed as PromiseRejectedResult).reason;
  }
  return {
    nodes,
    stop,
    databaseUrl,
    output: () =>
      nodes.map((node, i) => `--- ${ids[i]} (${node.url})\n${node.output()}`)
        .join("\n"),
  };
}

/** Why tests that need PostgreSQL and Redis cannot run here, or undefined. */
export function clusterSkipReason(): string | undefined {
  return postgresSkipReason() ?? redisSkipReason();
}

/**
 * Runs a body against `nodes` server processes on a fresh PostgreSQL and
 * Redis of their own, with a client pool per node; stops them all after.
 * Only call it when {@link clusterSkipReason} is undefined.
 */
export async function withCluster(
  nodes: number,
  body: (cluster: Cluster, pools: ClientPool[]) => Promise<void>,
  options: Pick<ClusterOptions, "args"> = {},
): Promise<void> {
  const pg = (await startPostgres())!;
  const redis = (await startRedis())!;
  let cluster: Cluster | undefined;
  let pools: ClientPool[] = [];
  try {
    cluster = await startCluster(pg.url, redis.url, { ...options, nodes });
    pools = cluster.nodes.map((node) => new ClientPool(node.wsUrl));
    await body(cluster, pools);
  } finally {
    await Promise.all(pools.map((pool) => pool.closeAll()));
    await cluster?.stop();
    await redis.stop();
    await pg.stop();
  }
}

/** An HTTP reply with its body read: JSON, or the text when it is not. */
export interface PageReply {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | undefined;
  text: string;
}

/**
 * POSTs as the web client's page does: with this server's Origin and, when
 * there is a body, as JSON. `headers` add to those or replace them.
 */
export async function postAsPage(
  baseUrl: string,
  path: string,
  init: { body?: unknown; headers?: Record<string, string> } = {},
): Promise<PageReply> {
  const headers: Record<string, string> = { origin: baseUrl };
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${baseUrl}${path}`, {
    method: "POST",
    headers: { ...headers, ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: Record<string, unknown> | undefined;
  try {
    body = text === "" ? undefined : JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, headers: response.headers, body, text };
}

/** GETs a URL and reads the whole body (so no response is left open). */
export async function httpGet(
  url: string,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

/**
 * Retries `attempt` every `intervalMs` until it returns without throwing,
 * and returns its result; after `timeoutMs` throws its last error.
 */
export async function eventually<T>(
  attempt: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_WAIT_MS);
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() >= deadline) throw error;
    }
    await delay(options.intervalMs ?? 50);
  }
}

/**
 * Waits until `user` is no longer online as `observer` sees it: accounts
 * come and go without notices, so this asks `list_users` of `general`,
 * where every account belongs.
 */
export async function wentOffline(
  observer: TestClient,
  user: string,
): Promise<void> {
  await eventually(async () => {
    const { users } = await observer.ok("list_users", { room: "general" });
    if ((users as string[]).includes(user)) {
      throw new Error(`${user} is still online`);
    }
  });
}

/**
 * Every message of a room after `afterSeq` (default: all), oldest first,
 * paged with `history` after_seq as a reconnecting client does.
 */
export async function historyOf<M extends { seq: number }>(
  client: TestClient,
  room: string,
  afterSeq = 0,
): Promise<M[]> {
  const all: M[] = [];
  let after = afterSeq;
  for (;;) {
    const data = await client.ok("history", {
      room,
      after_seq: after,
      limit: 200,
    });
    const page = data.messages as M[];
    all.push(...page);
    if (page.length < 200) return all;
    after = page[page.length - 1].seq;
  }
}

// ------------------------------------------- what the wire tests share

/** A timestamp as the protocol writes it: UTC ISO-8601 with milliseconds. */
export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** A room message as the contract (docs/protocol.md) defines it. */
export interface Message {
  id: string;
  seq: number;
  room: string;
  user: string;
  text: string;
  ts: string;
  client_id?: string;
}

/** The message of a `send_message` reply. */
export function messageOf(data: Frame["data"]): Message {
  return data.message as Message;
}

/**
 * The UTC day (YYYY-MM-DD) of `ts`, `days` later: what search's day
 * filters name. A test takes its days from its messages' times, not from
 * the clock, which may have passed midnight since they were sent.
 */
export function utcDay(ts: string, days = 0): string {
  return new Date(Date.parse(ts) + days * 86_400_000).toISOString()
    .slice(0, 10);
}

/** Sends texts one after the other; returns the stored messages. */
export async function sendMany(
  client: TestClient,
  texts: string[],
): Promise<Message[]> {
  const messages: Message[] = [];
  for (const text of texts) {
    messages.push(messageOf(await client.ok("send_message", { text })));
  }
  return messages;
}

/** The texts of the `receive_message` events a client got, in order. */
export function receivedTexts(client: TestClient): string[] {
  return client.events("receive_message").map((f) => f.data.text as string);
}

/** Received frames from index `from` on. */
export function since(client: TestClient, from: number): Frame[] {
  return client.received.slice(from);
}

/** Sends a raw frame and returns the next reply (success or error) after it. */
export async function replyTo(
  client: TestClient,
  frame: unknown,
): Promise<Frame> {
  const from = client.received.length;
  client.send(frame);
  return await client.waitFor(
    (f) => f.action === "success" || f.action === "error",
    "a reply",
    { from },
  );
}

/** Rejects when `promise` takes longer than `ms`; resolves with its value. */
export async function within<T>(
  ms: number,
  promise: Promise<T>,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`${what}: no answer within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The integers from `from` to `to`, both included. */
export function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Resident memory of a process in KiB. */
export async function rssKiB(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
}
