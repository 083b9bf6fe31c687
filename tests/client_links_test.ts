/**
 * What a link in a message shows of its host (client/link_host.ts): a host
 * that reads as another, ASCII one is shown in the ASCII form it goes to,
 * as Chromium's address bar shows it; genuine names in one script stay as
 * written.
 */

import assert from "node:assert/strict";
import { parseInline } from "../client/markup.ts";
import { lookalikeHost } from "../client/link_host.ts";
import { asciiLookalikes, lookalikesModule } from "../scripts/lookalikes.ts";

/** The text of the one link a message holds. */
function linkText(message: string): string {
  const link = parseInline(message).find((node) => node.kind === "link");
  assert.ok(link?.kind === "link", `a link in ${message}`);
  return link.text;
}

Deno.test("links show a Cyrillic look-alike of apple.com in the ASCII form it goes to", () => {
  // а, р, р, ӏ, е: Cyrillic all along, read as "apple".
  assert.equal(
    linkText("log in at https://аррӏе.com/account now"),
    "https://xn--80ak6aa92e.com/account",
  );
  assert.equal(
    linkText("https://www.аррӏе.com:8443/?q=1"),
    "https://www.xn--80ak6aa92e.com:8443/?q=1",
  );
});

Deno.test("links show a host mixing Latin with another script in its ASCII form", () => {
  // One Cyrillic а in paypal; one Greek ο in google.
  assert.equal(linkText("https://pаypal.com/x"), "https://xn--pypal-4ve.com/x");
  assert.equal(linkText("https://gοogle.com"), "https://xn--gogle-rce.com");
  assert.ok(lookalikeHost("pаypal.com"));
  // Latin letters that read as ASCII ones (ɑ, dotless ı) do too.
  assert.ok(lookalikeHost("ɑpple.com"));
  assert.ok(lookalikeHost("lınkedin.com"));
  // Cherokee is not a script hosts are written in (it copies Latin capitals).
  assert.ok(lookalikeHost("ᏚᎢᎵᎬᎢᎬᏒ.com"));
});

Deno.test("links keep genuine hosts in one script readable", () => {
  assert.equal(
    linkText("https://münchen.de/stadtplan"),
    "https://münchen.de/stadtplan",
  );
  assert.equal(linkText("https://例え.jp/"), "https://例え.jp/");
  for (
    const host of [
      "example.com",
      "münchen.de",
      "café.fr",
      "пример.рф",
      "παράδειγμα.δοκιμή",
      "例え.jp",
      "ドメイン名例.jp",
      "테스트.kr",
      "中文.tw",
      "مثال.إختبار",
      "xn--80ak6aa92e.com",
      "127.0.0.1",
      "[::1]",
    ]
  ) {
    assert.equal(lookalikeHost(host), false, host);
  }
});

Deno.test("links keep a look-alike label readable under a top-level domain of its script", () => {
  // Chromium's exception: under .рф the reader expects Cyrillic.
  assert.equal(lookalikeHost("рау.рф"), false);
  assert.equal(lookalikeHost("рау.com"), true);
});

Deno.test("links judge the look-alike table as unhomoglyph does today", async () => {
  // client/ascii_lookalikes.ts is written from unhomoglyph's table; an
  // update of the package that changes it must be written again.
  const written = await Deno.readTextFile(
    new URL("../client/ascii_lookalikes.ts", import.meta.url),
  );
  assert.equal(
    written,
    lookalikesModule(asciiLookalikes()),
    "client/ascii_lookalikes.ts is stale: run `deno task lookalikes`",
  );
});
