/**
 * The history routes' share of an address's history budget, as the
 * WebSocket's pages take it (server/page_budget.ts): one token before the
 * page is read, and what its JSON cost past it once written. Loopback is
 * not counted, as on the WebSocket.
 */

import type { Context } from "hono";
import { addressKey, isLoopback } from "../addresses.ts";
import type { ChatNode } from "../node.ts";
import { pageTokensOver } from "../page_budget.ts";
import { type Failure, rateLimited } from "../protocol/errors.ts";

/** A page allowed: answer it with `answer`, which settles the budget. */
export interface PageAnswer {
  answer(c: Context, data: unknown): Response;
}

/** Takes a page from the address's budget, or says how long to wait. */
export function pageBudget(
  node: ChatNode,
  address: string,
): PageAnswer | Failure {
  if (isLoopback(address)) return { answer: (c, data) => c.json(data, 200) };
  const key = addressKey(address);
  const wait = node.addressLimits.take(key, "history");
  if (wait > 0) return rateLimited(wait);
  return {
    answer(c, data) {
      const text = JSON.stringify(data);
      node.addressLimits.spend(key, "history", pageTokensOver(text.length));
      return c.body(text, 200, { "Content-Type": "application/json" });
    },
  };
}
