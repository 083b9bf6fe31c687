/** LoginThrottle, the login throttle of a single process: the throttle contract. */
import { LoginThrottle } from "../server/accounts/login_throttle.ts";
import { throttleContract } from "./login_throttle_contract.ts";

throttleContract("LoginThrottle", () =>
  Promise.resolve({
    open: (options) => Promise.resolve(new LoginThrottle(options)),
    dispose: () => Promise.resolve(),
  }), { nodes: false });
