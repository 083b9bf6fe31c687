import type { Broker, DeliveryHandler, Publication } from "./mod.ts";

/** The broker of a single process: publishing is local delivery. */
export class MemoryBroker implements Broker {
  #handler: DeliveryHandler = () => {};
  #closed = false;

  onDelivery(handler: DeliveryHandler): void {
    this.#handler = handler;
  }

  onReturn(): void {
    // One process: nothing published can miss it.
  }

  publish(publication: Publication): void {
    if (!this.#closed) this.#handler(publication);
  }

  healthy(): boolean {
    return true;
  }

  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
