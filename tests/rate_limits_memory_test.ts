/** KeyedRateLimits, the per-user and per-address limits of a single node: the rate limits contract. */
import { KeyedRateLimits } from "../server/rate_limit.ts";
import { rateLimitsContract } from "./rate_limits_contract.ts";

rateLimitsContract("KeyedRateLimits", () =>
  Promise.resolve({
    open: (options) => Promise.resolve(new KeyedRateLimits(options.specs)),
    dispose: () => Promise.resolve(),
  }), { nodes: false });
