/**
 * What a page of history costs an address's history budget: one token per
 * 128 Ki code units of its reply, at least one. A page is up to 200
 * messages whatever their size, and 200 of a message's 4,000 characters in
 * emoji are 3.2 MB, whose read and JSON cost the server 78 ms against 11
 * ms for 4,000 ASCII characters each (docs/security.md); at one token a
 * page, one address could ask about 0.8 s of the server a second. A token
 * per size keeps what a page means (one shorter than `limit` still means
 * up to date) and bounds what one address costs, whatever its pages hold.
 *
 * The size is known only once the page is read: a page takes one token
 * before, as any page did, and spends the rest once its reply is measured,
 * into debt if need be (RateLimits.spend), so pages of short messages sent
 * together cost what they did, and a large one is paid before the next.
 */

/** Code units of a reply that cost one token. */
export const PAGE_TOKEN_UNITS = 128 * 1024;

/** The tokens a reply of `units` code units costs past the one it took. */
export function pageTokensOver(units: number): number {
  return Math.max(0, Math.ceil(units / PAGE_TOKEN_UNITS) - 1);
}
