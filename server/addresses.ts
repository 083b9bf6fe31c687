/**
 * True for this machine's own addresses. They are never capped nor banned:
 * behind a reverse proxy on the same host (without `--trust-proxy`) every
 * client comes from one of them, and so do the operator's own tools.
 */
export function isLoopback(address: string): boolean {
  return address === "::1" || address.startsWith("127.") ||
    address.startsWith("::ffff:127.");
}
