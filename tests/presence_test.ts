/** MemoryPresence, the presence of a single process: the presence contract. */
import { MemoryPresence } from "../server/presence/memory.ts";
import { presenceContract } from "./presence_contract.ts";

presenceContract("MemoryPresence", () => {
  let opened = false;
  return Promise.resolve({
    open(registry) {
      // One process, one registry: there is no other node.
      if (opened) throw new Error("MemoryPresence has a single node");
      opened = true;
      return Promise.resolve(new MemoryPresence(registry));
    },
    dispose: () => Promise.resolve(),
  });
}, { nodes: false, crash: false });
