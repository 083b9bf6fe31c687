/**
 * A webhook receiver on loopback (allowed with --webhook-allow) that
 * records what it gets, for the outgoing webhook tests.
 */

/** One delivery as the receiver got it. */
export interface Received {
  headers: Headers;
  body: string;
}

/** A webhook receiver on loopback that records what it gets. */
export function startReceiver(
  answer: (request: Received, index: number) => Promise<number> | number = () =>
    200,
) {
  const received: Received[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const entry = { headers: request.headers, body: await request.text() };
      received.push(entry);
      const status = await answer(entry, received.length - 1);
      return new Response(null, { status });
    },
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}/hook`,
    received,
    close: () => server.shutdown(),
  };
}
