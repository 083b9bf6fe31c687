/**
 * A handler context for an account with no socket: a REST request's caller
 * (api/caller.ts) or a scheduled message's author at its send time
 * (scheduled_sends.ts). The WebSocket's own handlers then serve it, with
 * the same rules and error codes.
 */
import { accountIdentity } from "../accounts/identity.ts";
import type { ChatNode } from "../node.ts";
import type { Member } from "../registry.ts";
import type { Account } from "../store/mod.ts";
import type { MemberContext } from "./context.ts";

const NOBODY = { push(): void {} };

/** Options of {@link accountContext}. */
export interface AccountContextOptions {
  /** The address it acts from ("unknown" when none). */
  address?: string;
  /** Aborts when whoever waits for the answer has gone. */
  signal: AbortSignal;
  /** `node.accessChanges` when its checks began (see `isClosed`). */
  since: number;
}

/**
 * A context as if from a connection of `account` looking at `roomKey`
 * ("" for none) that nobody reads: replies are the caller's to deliver,
 * events reach the account's sockets through the node as usual.
 */
export function accountContext(
  node: ChatNode,
  account: Account,
  roomKey: string,
  options: AccountContextOptions,
): MemberContext {
  const address = options.address ?? "unknown";
  const { signal, since } = options;
  const member: Member = {
    id: 0,
    outbox: NOBODY,
    username: account.username,
    userKey: account.key,
    address,
    roomKey,
    role: account.role,
    guest: false,
    since: account.createdAt,
    identity: accountIdentity(account),
    bot: account.bot || undefined,
    disconnect() {},
  };
  return {
    node,
    client: {
      id: 0,
      remoteAddress: address,
      outbox: NOBODY,
      member,
      signal,
      // Closed, as a socket the change would have closed or moved, once an
      // access change came after the checks: the sender checks again. The
      // signal is made already: reading it costs nothing.
      get isClosed() {
        return signal.aborted || node.accessChanges !== since;
      },
      appendQueued() {},
      disconnect() {},
    },
  };
}
