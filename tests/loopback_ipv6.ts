/**
 * IPv6 addresses of other networks on this machine's loopback interface,
 * for tests of the rules that count an IPv6 client by its /64 and /48:
 * `::1` is the only IPv6 address loopback has, and it is never capped. A
 * socket bound to an address added to `lo` reaches a server on `::1` with
 * that address as its peer, as a client of that network would.
 *
 * Adding one takes root (`ip -6 addr add … dev lo`), as in CI; elsewhere
 * {@link loopbackIpv6SkipReason} says why the tests cannot run. The
 * addresses are chosen at random in the unique local range (fd00::/8), so
 * that two runs at once on one machine never share one, and each test
 * removes what it added.
 */

/** Runs `ip` with these arguments; its error output when it fails. */
async function ip(args: string[]): Promise<string | undefined> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ip", {
      args,
      stdout: "null",
      stderr: "piped",
    }).output();
  } catch (error) {
    return `cannot run ip: ${(error as Error).message}`;
  }
  if (output.success) return undefined;
  return new TextDecoder().decode(output.stderr).trim() ||
    `ip exited with ${output.code}`;
}

/** A random /48 of the unique local range, as its first three groups. */
export function randomSite(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(5));
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `fd${hex.slice(0, 2)}:${hex.slice(2, 6)}:${hex.slice(6, 10)}`;
}

/**
 * Why addresses cannot be added to `lo` here (not Linux, not root, no
 * `ip`, IPv6 off), found by adding and removing one; undefined when they
 * can.
 */
export async function loopbackIpv6SkipReason(): Promise<string | undefined> {
  if (Deno.build.os !== "linux") return "adds addresses with Linux's ip";
  const probe = `${randomSite()}::1`;
  const refused = await ip(["-6", "addr", "add", `${probe}/128`, "dev", "lo"]);
  if (refused) {
    return `cannot add an IPv6 address to lo (root is needed): ${refused}`;
  }
  await ip(["-6", "addr", "del", `${probe}/128`, "dev", "lo"]);
  return undefined;
}

/**
 * Adds `addresses` to `lo` and returns what removes them again; on failure
 * removes those added and throws.
 */
export async function addLoopbackIpv6(
  addresses: string[],
): Promise<() => Promise<void>> {
  const added: string[] = [];
  const remove = async () => {
    for (const address of added.splice(0)) {
      await ip(["-6", "addr", "del", `${address}/128`, "dev", "lo"]);
    }
  };
  for (const address of addresses) {
    // nodad: usable at once, not after duplicate address detection.
    const refused = await ip([
      "-6",
      "addr",
      "add",
      `${address}/128`,
      "dev",
      "lo",
      "nodad",
    ]);
    if (refused) {
      await remove();
      throw new Error(`Cannot add ${address} to lo: ${refused}`);
    }
    added.push(address);
  }
  return remove;
}
