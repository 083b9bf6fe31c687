/**
 * The settings table (server/settings.ts) and what is read off it: the
 * command line, `--help`, `--version` and README's Options table.
 */
import assert from "node:assert/strict";
import { helpText, readCommandLine } from "../server/command_line.ts";
import { DEFAULT_CONFIG } from "../server/config.ts";
import { NO_RATE_LIMITS } from "../server/rate_limit.ts";
import { type Setting, SettingError } from "../server/setting_kinds.ts";
import { SETTINGS } from "../server/settings.ts";
import { VERSION } from "../server/version.ts";
import { withOptionsTable } from "../scripts/readme.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const README = new URL("../README.md", import.meta.url);
const TABLE = SETTINGS as Record<string, Setting<unknown>>;

function read(args: string[], env: Record<string, string> = {}) {
  const command = readCommandLine(args, (name) => env[name]);
  assert.equal(command.run, "server");
  return command.config;
}

function refusal(args: string[], env: Record<string, string> = {}): string {
  try {
    readCommandLine(args, (name) => env[name]);
  } catch (error) {
    assert.ok(error instanceof SettingError, String(error));
    return error.message;
  }
  assert.fail(`${args.join(" ")} was accepted`);
}

Deno.test("README: the Options table is the one the settings table writes (run `deno task readme`)", async () => {
  const readme = await Deno.readTextFile(README);
  assert.equal(
    readme,
    withOptionsTable(readme),
    "README.md drifted from server/settings.ts: run `deno task readme`",
  );
});

Deno.test("command line: flags fill only the settings they name", () => {
  assert.deepEqual(read([]), {});
  assert.deepEqual(
    read([
      "--port",
      "0",
      "--host",
      "127.0.0.1",
      "--db",
      ":memory:",
      "--trust-proxy",
      "--allow-origin",
      "https://a.example",
      "--allow-origin",
      "*",
      "--allowed-host",
      "chat.example",
      "--allowed-host",
      "chat.example:8443",
      "--log-level",
      "debug",
      "--rate-limits",
      "off",
      "--max-connections-per-address",
      "0",
      "--admin",
      "root",
    ]),
    {
      port: 0,
      hostname: "127.0.0.1",
      db: ":memory:",
      trustProxy: true,
      allowOrigins: ["https://a.example", "*"],
      allowedHosts: ["chat.example", "chat.example:8443"],
      logLevel: "debug",
      rateLimits: NO_RATE_LIMITS,
      maxConnectionsPerAddress: 0,
      admin: "root",
    },
  );
});

Deno.test("command line: PORT, DATABASE_URL and REDIS_URL are read when their flag is not given", () => {
  const env = {
    PORT: "9000",
    DATABASE_URL: "postgres://db/chat",
    REDIS_URL: "redis://cache:6379",
  };
  assert.deepEqual(read([], env), {
    port: 9000,
    databaseUrl: "postgres://db/chat",
    redisUrl: "redis://cache:6379",
  });
  assert.deepEqual(read(["--port", "9001"], env).port, 9001, "the flag wins");
  assert.deepEqual(read([], { PORT: "" }), {}, "empty counts as unset");
});

Deno.test("command line: a bad value is refused with the flag named", () => {
  assert.equal(
    refusal(["--port", "x"]),
    "--port takes a whole number of at least 0, not 'x'",
  );
  assert.equal(
    refusal([], { PORT: "eighty" }),
    "--port takes a whole number of at least 0, not 'eighty'",
  );
  assert.equal(
    refusal(["--port", "70000"]),
    "--port must be at most 65535, not 70000",
  );
  assert.equal(
    refusal(["--max-frame-bytes", "10"]),
    "--max-frame-bytes takes a whole number of at least 1024, not '10'",
  );
  assert.equal(
    refusal(["--session-days", "1.5"]),
    "--session-days takes a whole number of at least 1, not '1.5'",
  );
  assert.equal(
    refusal(["--log-level", "loud"]),
    "--log-level must be one of trace, debug, info, warning, error, fatal",
  );
  assert.equal(
    refusal(["--log-format", "xml"]),
    "--log-format must be pretty or json",
  );
  assert.equal(
    refusal(["--rate-limits", "maybe"]),
    "--rate-limits must be on or off",
  );
  assert.equal(
    refusal(["--admin", ""]),
    "--admin takes an account name (letters, digits, _ - ., 1 to 32), not ''",
  );
  assert.equal(
    refusal(["--admin", "the boss"]),
    "--admin takes an account name (letters, digits, _ - ., 1 to 32), not 'the boss'",
  );
  assert.equal(
    refusal(["--webhook-allow", ""]),
    "--webhook-allow takes a host name, an address, a CIDR range or *, not ''",
  );
  assert.equal(
    refusal(["--webhook-allow", "https://hooks.example"]),
    "--webhook-allow takes a host name, an address, a CIDR range or *, not 'https://hooks.example'",
  );
  assert.deepEqual(
    read([
      "--webhook-allow",
      "hooks.example",
      "--webhook-allow",
      "10.0.0.0/8",
      "--webhook-allow",
      "[::1]",
      "--webhook-allow",
      "*",
    ]).webhookAllow,
    ["hooks.example", "10.0.0.0/8", "[::1]", "*"],
  );
  assert.equal(
    refusal(["--allowed-host", "https://chat.example"]),
    "--allowed-host takes a host name with an optional port (chat.example, chat.example:8443), not 'https://chat.example'",
  );
  assert.equal(
    refusal(["--allowed-host", "chat.example:70000"]),
    "--allowed-host takes a host name with an optional port (chat.example, chat.example:8443), not 'chat.example:70000'",
  );
  assert.equal(
    refusal(["--allowed-host", "*"]),
    "--allowed-host takes host names; leave it out to answer any Host",
  );
  assert.match(refusal(["--colour"]), /Unknown option '--colour'/);
  assert.match(refusal(["stray"]), /positional/);
});

Deno.test("command line: a --reminder-sweep longer than a timer holds (2^31 - 1 ms) is refused, not run every millisecond", () => {
  assert.equal(
    refusal(["--reminder-sweep", "3000000000"]),
    "--reminder-sweep must be at most 2147483647, not 3000000000",
  );
  assert.equal(
    read(["--reminder-sweep", "2147483647"]).reminderSweepMs,
    2147483647,
  );
});

Deno.test("settings: every default passes its own flag's check", () => {
  for (const [key, setting] of Object.entries(TABLE)) {
    const value = setting.default;
    if (setting.flag === undefined || typeof value !== "number") continue;
    assert.equal(
      setting.kind.parse(String(value), setting.flag),
      value,
      `--${setting.flag}`,
    );
    assert.equal(DEFAULT_CONFIG[key as keyof typeof DEFAULT_CONFIG], value);
  }
});

Deno.test("--help lists every flag of the settings table, with its default", () => {
  const help = helpText();
  for (const setting of Object.values(TABLE)) {
    if (setting.flag === undefined) continue;
    assert.ok(help.includes(`--${setting.flag}`), `--${setting.flag}`);
  }
  assert.match(
    help,
    /--port N +TCP port; 0 picks a free one \(env PORT; default 8000\)/,
  );
  assert.ok(help.split("\n").every((line) => line.length <= 80));
});

Deno.test("main.ts: --version prints the version, a bad flag exits 2 with the error and a pointer to --help, not the whole help", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-all", MAIN, ...args],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.equal(decode(version.stdout), `chat-server ${VERSION}\n`);
  assert.match(VERSION, /^\d+\.\d+\.\d+$/);
  const bad = await run(["--port", "x"]);
  assert.equal(bad.code, 2);
  const stderr = decode(bad.stderr);
  assert.equal(
    stderr,
    "error: --port takes a whole number of at least 0, not 'x'\n" +
      "See '--help' for the options.\n",
  );
  assert.equal(decode(bad.stdout), "");
});

Deno.test("command line: --smtp-url takes smtp:// or smtps:// (SMTP_URL keeps its password off the command line) and needs --mail-from and --public-url", () => {
  assert.deepEqual(
    read([
      "--mail-from",
      "Chat <chat@example.org>",
      "--public-url",
      "https://chat.example.org/",
    ], { SMTP_URL: "smtps://chat:pw@mail.example.org:465" }),
    {
      smtpUrl: "smtps://chat:pw@mail.example.org:465",
      mailFrom: "Chat <chat@example.org>",
      publicUrl: "https://chat.example.org/",
    },
  );
  assert.equal(
    refusal(["--smtp-url", "smtp://mail.example.org"]),
    "--smtp-url needs --mail-from and --public-url too: the sender of the mails and the server's address their links start with",
  );
  assert.equal(
    refusal(["--smtp-url", "http://mail.example.org", "--mail-from", "a@b.c"]),
    "--smtp-url takes an smtp:// or smtps:// URL, not http://…",
  );
  assert.equal(
    refusal(["--mail-from", "chat@example.org\nBcc: x@y.z"]),
    "--mail-from takes one line",
  );
  assert.equal(
    refusal(["--public-url", "chat.example.org"]),
    "--public-url takes the server's address, like https://chat.example.org, not 'chat.example.org'",
  );
  // Alone, they change nothing (no mail is sent without a server).
  assert.deepEqual(read(["--mail-from", "chat@example.org"]), {
    mailFrom: "chat@example.org",
  });
});
