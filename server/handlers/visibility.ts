import { isFailure, type Outcome, succeed } from "../protocol/errors.ts";
import { visibilityData } from "../protocol/schemas.ts";
import { type MemberContext, parseData } from "./context.ts";

/**
 * `visibility` (extension): the client says whether it is hidden (a tab in
 * the background, a minimised window). An account whose every connection
 * is hidden gets Web Push for private messages and mentions as if it were
 * offline; nothing else changes (events still arrive).
 */
export function visibility(
  ctx: MemberContext,
  raw: Record<string, unknown>,
): Promise<Outcome> {
  const data = parseData(visibilityData, raw);
  if (isFailure(data)) return Promise.resolve(data);
  ctx.node.setHidden(ctx.client.member, data.hidden);
  return Promise.resolve(succeed({}));
}
