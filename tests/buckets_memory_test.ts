/** MemoryBuckets, the upload and webhook limits of a single process: the buckets contract. */
import { MemoryBuckets } from "../server/buckets/memory.ts";
import { bucketsContract } from "./buckets_contract.ts";

bucketsContract("MemoryBuckets", () =>
  Promise.resolve({
    open: (options) => Promise.resolve(new MemoryBuckets(options)),
    dispose: () => Promise.resolve(),
  }), { nodes: false });
