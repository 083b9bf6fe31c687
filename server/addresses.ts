/**
 * True for the loopback addresses a reverse proxy on this host connects
 * from, 127.0.0.1 and ::1 (IPv4-mapped too). They are never capped nor
 * banned: behind such a proxy (without `--trust-proxy`) every client comes
 * from one of them, and so do the operator's own tools. Other 127.x.y.z
 * addresses count like any other address: local tools and tests use them
 * to act as different machines.
 */
export function isLoopback(address: string): boolean {
  return address === "127.0.0.1" || address === "::1" ||
    address === "::ffff:127.0.0.1";
}
