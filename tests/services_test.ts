/**
 * The throwaway servers of tests/services.ts on a busy machine: a port
 * free when chosen can be taken by another process before the service
 * binds it (other tests' servers start all the time), and the service
 * must neither fail for it nor take the other process for itself.
 */
import assert from "node:assert/strict";
import {
  postgresSkipReason,
  redisSkipReason,
  startPostgres,
  startRedis,
  startRedisOnPort,
} from "./services.ts";

/** Runs `command` and returns its standard output. */
async function output(command: string, args: string[]): Promise<string> {
  const { stdout } = await new Deno.Command(command, {
    args,
    stdout: "piped",
    stderr: "null",
  }).output();
  return new TextDecoder().decode(stdout).trim();
}

/** The folder the Redis on `port` says it works in. */
async function redisDir(port: number): Promise<string> {
  const answer = await output("redis-cli", [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "config",
    "get",
    "dir",
  ]);
  return answer.split("\n")[1];
}

Deno.test({
  name:
    "services: a Redis whose port another Redis took meanwhile starts on a port of its own, and the other keeps running",
  ignore: redisSkipReason() !== undefined,
  async fn() {
    const other = (await startRedis())!;
    try {
      const theirs = await redisDir(other.port);
      const redis = (await startRedis({ firstPort: other.port }))!;
      try {
        assert.notEqual(redis.port, other.port);
        const ours = await redisDir(redis.port);
        assert.ok(ours.includes("chat-redis-"), ours);
        assert.notEqual(ours, theirs);
      } finally {
        await redis.stop();
      }
      assert.equal(await redisDir(other.port), theirs, "the other was stopped");
    } finally {
      await other.stop();
    }
  },
});

Deno.test({
  name:
    "services: a Redis asked to start again on a port another Redis holds refuses, naming the port, and leaves that one running",
  ignore: redisSkipReason() !== undefined,
  async fn() {
    const other = (await startRedis())!;
    try {
      const theirs = await redisDir(other.port);
      await assert.rejects(
        startRedisOnPort(other.port),
        new RegExp(`port ${other.port}: another process listens there`),
      );
      assert.equal(await redisDir(other.port), theirs);
    } finally {
      await other.stop();
    }
  },
});

Deno.test({
  name:
    "services: a PostgreSQL whose port was taken meanwhile starts on another, and restarts there",
  ignore: postgresSkipReason() !== undefined,
  async fn() {
    const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    try {
      const port = (taken.addr as Deno.NetAddr).port;
      const pg = (await startPostgres({ firstPort: port }))!;
      try {
        assert.notEqual(new URL(pg.url).port, String(port));
        assert.match(await pg.psql("SELECT 1"), /1/);
        await pg.shutdown();
        await pg.start();
        assert.match(await pg.psql("SELECT 1"), /1/);
      } finally {
        await pg.stop();
      }
    } finally {
      taken.close();
    }
  },
});
