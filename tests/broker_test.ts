/** MemoryBroker, the broker of a single process: the broker contract. */
import { MemoryBroker } from "../server/broker/memory.ts";
import { brokerContract } from "./broker_contract.ts";

brokerContract("MemoryBroker", () => {
  let opened = false;
  return Promise.resolve({
    open() {
      // One process, one broker: there is no other node to reach.
      if (opened) throw new Error("MemoryBroker has a single node");
      opened = true;
      return Promise.resolve(new MemoryBroker());
    },
    dispose: () => Promise.resolve(),
  });
}, { nodes: false });
