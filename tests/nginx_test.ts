/**
 * docs/nginx.conf.example, run for real: nginx on a free loopback port in
 * front of two `chat-server` nodes (round robin, no sticky sessions) that
 * share PostgreSQL and Redis. Clients through the proxy land on different
 * nodes and chat with each other and with clients connected to the nodes
 * directly; the Origin check still works through the proxy.
 */
import assert from "node:assert/strict";
import { DEFAULT_CONFIG } from "../server/config.ts";
import {
  ClientPool,
  delay,
  eventually,
  httpGet,
  metric,
  RawSocket,
  type TestClient,
} from "./harness.ts";
import { fetchFile, member, uploaded } from "./file_helpers.ts";
import {
  freePort,
  needing,
  POSTGRES,
  type PostgresService,
  redisSkipReason,
  testsOnService,
} from "./services.ts";
import { isRunning } from "./processes.ts";
import {
  type SharedCluster,
  SharedOnce,
  startSharedCluster,
} from "./shared_cluster.ts";

const NGINX = "/usr/sbin/nginx";
const EXAMPLE = new URL("../docs/nginx.conf.example", import.meta.url);

function nginxSkipReason(): string | undefined {
  try {
    Deno.statSync(NGINX);
    return undefined;
  } catch {
    return `nginx is not installed (no ${NGINX}; apt-get install -y nginx)`;
  }
}

/** What a proxied test gets: the nodes, nginx, and client pools. */
interface ProxyContext {
  cluster: SharedCluster;
  /** `http://127.0.0.1:PORT` of nginx. */
  proxyUrl: string;
  /** Clients through nginx. */
  proxied: ClientPool;
  /** `direct[i]` connects to node i without the proxy. */
  direct: ClientPool[];
}

Deno.test("nginx example: proxy_read_timeout outlasts the server's idle ping", async () => {
  const conf = await Deno.readTextFile(EXAMPLE);
  const ws = /location = \/ws \{([^}]*)\}/.exec(conf)?.[1];
  assert.ok(ws, "the example has a `location = /ws` block");
  const timeout = /proxy_read_timeout (\d+)s;/.exec(ws)?.[1];
  assert.ok(timeout, "the /ws location sets proxy_read_timeout in seconds");
  assert.ok(Number(timeout) > DEFAULT_CONFIG.idleTimeoutSeconds);
  for (
    const header of [
      "Upgrade $http_upgrade",
      "Connection $connection_upgrade",
      "Host $http_host",
      "X-Forwarded-For $proxy_add_x_forwarded_for",
    ]
  ) {
    assert.ok(ws.includes(`proxy_set_header ${header};`), header);
  }
  assert.doesNotMatch(conf, /^\s*(ip_hash|hash|sticky)\b/m, "no stickiness");
});

Deno.test("nginx example: idle keep-alive connections to the nodes are let go before a node's --keep-alive-timeout closes them", async () => {
  const conf = await Deno.readTextFile(EXAMPLE);
  // To the block's own closing line: its comments hold braces.
  const upstream = /upstream chat \{([\s\S]*?)\n {2}\}/.exec(conf)?.[1];
  assert.ok(upstream, "the example has an `upstream chat` block");
  assert.match(upstream, /^\s*keepalive \d+;/m);
  // nginx's default is 60 s: a request it sent on a connection just as
  // its node closed it got 502, a POST not being sent again (round 14).
  const timeout = /^\s*keepalive_timeout (\d+)s;/m.exec(upstream)?.[1];
  assert.ok(timeout, "the upstream sets keepalive_timeout in seconds");
  assert.ok(Number(timeout) < DEFAULT_CONFIG.keepAliveTimeoutSeconds);
});

let proxy: SharedOnce<Proxy>;

await testsOnService(
  "nginx",
  needing(POSTGRES, nginxSkipReason, redisSkipReason),
  (pg) => {
    proxy = new SharedOnce(() => startProxy(pg));
    registerTests();
    Deno.test("nginx: stop the proxy and its nodes", () => proxy.stop());
  },
);

/**
 * The example with this test's ports and paths: nginx listens on
 * 127.0.0.1:`port`, proxies to `upstreams`, and keeps its pid, logs and
 * temporary files in `dir`. One worker, so round robin alternates strictly
 * (each worker keeps its own turn).
 */
function renderConfig(
  template: string,
  options: { port: number; upstreams: string[]; dir: string },
): string {
  const { port, upstreams, dir } = options;
  let conf = template;
  const replace = (pattern: RegExp, by: string) => {
    assert.match(conf, pattern, `the example has ${pattern}`);
    conf = conf.replace(pattern, by);
  };
  replace(/^worker_processes .*;$/m, "worker_processes 1;");
  replace(/^pid .*;$/m, `pid ${dir}/nginx.pid;`);
  replace(/^error_log .*;$/m, `error_log ${dir}/error.log info;`);
  replace(/^(\s*)access_log .*;$/m, `$1access_log ${dir}/access.log;`);
  replace(/^(\s*)listen .*;$/m, `$1listen 127.0.0.1:${port};`);
  replace(
    /(upstream chat \{[\s\S]*?)((?:^\s*server \S+:\d+[^;\n]*;\n)+)/m,
    `$1${
      upstreams.map((host) =>
        `    server ${host} max_fails=2 fail_timeout=10s;\n`
      ).join("")
    }`,
  );
  replace(
    /^http \{$/m,
    `http {\n${
      ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((kind) =>
        `  ${kind}_temp_path ${dir}/${kind};`
      ).join("\n")
    }`,
  );
  return conf;
}

/**
 * The file's proxy: two nodes on one database and Redis, and nginx in
 * front of them, started by the first test that needs them and stopped by
 * a test of its own after the last. nginx runs as a daemon (as the nodes
 * run detached, see shared_cluster.ts) so that nothing of one test waits
 * in the next. Starting them took seconds a test on a busy machine; the
 * tests use names of their own.
 */
interface Proxy {
  cluster: SharedCluster;
  proxyUrl: string;
  /** nginx's folder: its configuration, pid, logs. */
  dir: string;
  stop(): Promise<void>;
}

async function startProxy(pg: PostgresService): Promise<Proxy> {
  const dir = await Deno.makeTempDir({ prefix: "chat-nginx-" });
  // nginx's workers run as nobody: let them reach the temp folders.
  await Deno.chmod(dir, 0o755);
  let cluster: SharedCluster | undefined;
  let nginx: number | undefined;
  const stop = async () => {
    if (nginx !== undefined) await stopNginx(nginx);
    await cluster?.stop();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    cluster = await startSharedCluster(pg, {
      database: "nginx",
      nodes: 2,
      // Behind the proxy every client comes from its address.
      args: ["--trust-proxy"],
    });
    const example = await Deno.readTextFile(EXAMPLE);
    let port: number;
    for (let tries = 1;; tries++) {
      port = freePort();
      const conf = renderConfig(example, {
        port,
        upstreams: cluster.nodes.map((node) => new URL(node.url).host),
        dir,
      });
      await Deno.writeTextFile(`${dir}/nginx.conf`, conf);
      const started = await new Deno.Command(NGINX, {
        args: ["-c", `${dir}/nginx.conf`, "-p", dir, "-g", "daemon on;"],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).output();
      if (started.success) break;
      const said = new TextDecoder().decode(started.stderr);
      // Free when chosen, the port may be another process's by now (other
      // tests' servers start all the time): nginx then tries another.
      if (tries === 5 || !/Address already in use/.test(said)) {
        throw new Error(`nginx did not start: ${said}`);
      }
    }
    // The daemon writes its pid once the launcher has returned.
    nginx = await eventually(async () => {
      const pid = Number((await Deno.readTextFile(`${dir}/nginx.pid`)).trim());
      assert.ok(pid > 0);
      return pid;
    });
    nginxes.add(nginx);
    const proxyUrl = `http://127.0.0.1:${port}`;
    await eventually(async () => {
      const { status } = await httpGet(`${proxyUrl}/healthz`);
      assert.equal(status, 200);
    }, { timeoutMs: 60_000 });
    return { cluster, proxyUrl, dir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

// A run that never reaches the stop test must not leave nginx behind.
const nginxes = new Set<number>();
globalThis.addEventListener("unload", () => {
  for (const pid of nginxes) signal(pid, "SIGTERM");
});

/** A fast shutdown (SIGTERM to the master), waiting until it is gone. */
async function stopNginx(pid: number): Promise<void> {
  signal(pid, "SIGTERM");
  while (isRunning(pid)) await delay(50);
  nginxes.delete(pid);
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * A test through the file's proxy, with client pools of its own (closed
 * at the end). On failure nginx's error log and the nodes' logs are added
 * to the error.
 */
function proxyTest(
  name: string,
  body: (ctx: ProxyContext) => Promise<void>,
): void {
  Deno.test(name, async () => {
    const { cluster, proxyUrl, dir } = await proxy.get();
    const proxied = new ClientPool(`${proxyUrl.replace("http", "ws")}/ws`);
    const direct = cluster.nodes.map((node) => new ClientPool(node.wsUrl));
    try {
      await body({ cluster, proxyUrl, proxied, direct });
    } catch (error) {
      const log = await Deno.readTextFile(`${dir}/error.log`).catch(() => "");
      throw new Error(
        `${(error as Error).stack ?? error}\n\nnginx error log:\n${
          log.split("\n").slice(-20).join("\n")
        }\nNode logs:\n${cluster.output()}`,
      );
    } finally {
      await Promise.all(
        [proxied, ...direct].map((pool) => pool.closeAll()),
      );
    }
  });
}

async function chat(
  from: TestClient,
  text: string,
  to: TestClient[],
): Promise<void> {
  const reply = await from.ok("send_message", { text });
  const message = reply.message as { id: string };
  for (const client of to) {
    const event = await client.event(
      "receive_message",
      (d) => d.id === message.id,
    );
    assert.deepEqual(event.data, message);
  }
}

function registerTests(): void {
  proxyTest(
    "nginx: serves the web client and /healthz of the nodes",
    async ({ proxyUrl }) => {
      const page = await fetch(`${proxyUrl}/`);
      const html = await page.text();
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type") ?? "", /text\/html/);
      assert.match(html, /<html/i);
      const health = await httpGet(`${proxyUrl}/healthz`);
      assert.deepEqual(JSON.parse(health.text), { status: "ok" });
    },
  );

  proxyTest(
    "nginx: two clients through the proxy land on different nodes and chat",
    async ({ cluster, proxied }) => {
      const online = () =>
        Promise.all(
          cluster.nodes.map((node) => metric(node.url, "chat_users_online")),
        );
      // The earlier tests' users have left the shared nodes.
      await eventually(async () => assert.deepEqual(await online(), [0, 0]));
      const ann = await proxied.guest("ann");
      const ben = await proxied.guest("ben");
      assert.deepEqual(await online(), [1, 1], "one user on each node");
      await chat(ann, "hi ben", [ann, ben]);
      await chat(ben, "hi ann", [ann, ben]);
      const reply = await ben.ok("private_message", {
        to: "ann",
        text: "just us",
      });
      const id = (reply.message as { id: string }).id;
      await ann.event("private_message", (d) => d.id === id);
      const users = await ann.ok("list_users");
      assert.deepEqual(users.users, ["ann", "ben"]);
    },
  );

  proxyTest(
    "nginx: clients through the proxy chat with clients on each node directly",
    async ({ proxied, direct }) => {
      const [one, two] = await Promise.all([
        direct[0].guest("one"),
        direct[1].guest("two"),
      ]);
      const via = await proxied.guest("via");
      const everyone = [one, two, via];
      await chat(via, "hello from behind nginx", everyone);
      await chat(one, "hello from node one", everyone);
      await chat(two, "hello from node two", everyone);
    },
  );

  proxyTest(
    "nginx: a file as large as --max-file-bytes uploads through the proxy and downloads back",
    async ({ proxyUrl }) => {
      // nginx refuses bodies over 1 MiB unless told otherwise
      // (client_max_body_size): the example must let through what the
      // nodes take, a file of --max-file-bytes in its multipart envelope.
      const server = {
        url: proxyUrl,
        wsUrl: `${proxyUrl.replace("http", "ws")}/ws`,
      };
      const uploader = await member(server, "uploader");
      try {
        const bytes = new Uint8Array(DEFAULT_CONFIG.maxFileBytes);
        crypto.getRandomValues(bytes.subarray(0, 65536));
        bytes.set(bytes.subarray(0, 65536), bytes.length - 65536);
        const file = new File([bytes], "largest.bin", {
          type: "application/octet-stream",
        });
        const sent = await uploaded(server, uploader.cookie, file);
        assert.equal(sent.size, DEFAULT_CONFIG.maxFileBytes);
        await uploader.client.ok("send_message", {
          text: "the largest file",
          attachments: [sent],
        });
        const back = await fetchFile(server, sent.url, uploader.cookie);
        assert.equal(back.status, 200);
        assert.deepEqual(back.bytes, bytes);
      } finally {
        await uploader.client.close();
      }
    },
  );

  proxyTest(
    "nginx: the WebSocket takes the proxy's own Origin and refuses another site",
    async ({ proxyUrl }) => {
      const wsUrl = `${proxyUrl.replace("http", "ws")}/ws`;
      const own = await RawSocket.open(wsUrl, { Origin: proxyUrl });
      own.abort();
      assert.equal(own.status, 101, own.head);
      const other = await RawSocket.open(wsUrl, {
        Origin: "http://evil.example",
      });
      other.abort();
      assert.equal(other.status, 403, other.head);
    },
  );
}
