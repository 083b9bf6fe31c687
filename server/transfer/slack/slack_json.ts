/**
 * The parts of a Slack export's JSON this importer reads, as zod shapes:
 * anything else in the files is ignored, and what it reads in another
 * shape stops the import with the file and the place.
 */
import { z } from "zod";
import { SlackExportError } from "./export_files.ts";

const flag = z.boolean().optional();
/** A Slack ts's text ("1700000000.123456"): seconds, then a fraction. */
export const SLACK_TS = /^\d{1,12}(\.\d{1,9})?$/;
const TS = z.string().regex(SLACK_TS, "a Slack ts (seconds)");
const topic = z.object({ value: z.string() }).optional();

/** One entry of users.json. */
export const slackUser = z.object({
  id: z.string().min(1),
  name: z.string(),
  deleted: flag,
  is_bot: flag,
  is_admin: flag,
  is_owner: flag,
  is_primary_owner: flag,
  real_name: z.string().optional(),
  tz: z.string().nullish(),
  profile: z.object({ title: z.string().nullish() }).optional(),
});
/** One entry of users.json. */
export type SlackUser = z.infer<typeof slackUser>;

/** One entry of channels.json, groups.json or mpims.json. */
export const slackChannel = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  created: z.number().nonnegative().optional(),
  creator: z.string().optional(),
  is_archived: flag,
  is_general: flag,
  members: z.array(z.string()).optional(),
  topic,
  purpose: topic,
});
/** One entry of channels.json, groups.json or mpims.json. */
export type SlackChannel = z.infer<typeof slackChannel>;

/** One entry of dms.json: a conversation of two (or one with oneself). */
export const slackDm = z.object({
  id: z.string().min(1),
  created: z.number().nonnegative().optional(),
  members: z.array(z.string()).min(1),
});
/** One entry of dms.json. */
export type SlackDm = z.infer<typeof slackDm>;

/** One message of a day file. */
export const slackMessage = z.object({
  subtype: z.string().optional(),
  user: z.string().optional(),
  text: z.string().optional(),
  ts: TS,
  thread_ts: TS.optional(),
  edited: z.object({ ts: TS }).optional(),
  reactions: z.array(z.object({
    name: z.string(),
    users: z.array(z.string()).optional(),
  })).optional(),
  pinned_to: z.array(z.string()).optional(),
  files: z.array(z.object({
    name: z.string().nullish(),
    title: z.string().nullish(),
  })).optional(),
  // Who wrote it, as Slack copies it into each message: the one place a
  // Slack Connect guest or another workspace's member (not in users.json)
  // is described.
  user_profile: z.object({
    name: z.string().nullish(),
    real_name: z.string().nullish(),
  }).optional(),
});
/** One message of a day file. */
export type SlackMessage = z.infer<typeof slackMessage>;

/** A file's list, each entry held to `shape`; errors name the file. */
export function listOf<T>(
  value: unknown,
  shape: z.ZodType<T>,
  where: string,
): T[] {
  if (!Array.isArray(value)) {
    throw new SlackExportError(`${where} is not a list`);
  }
  return value.map((entry, i) => {
    const parsed = shape.safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new SlackExportError(
        `${where}: entry ${i + 1}: ${
          issue.path.join(".") || "entry"
        }: ${issue.message}`,
      );
    }
    return parsed.data;
  });
}

/** A Slack ts ("1700000000.123456") in ms since 1970. */
export function slackMs(ts: string): number {
  const [seconds, fraction = ""] = ts.split(".");
  return Number(seconds) * 1000 +
    Number(fraction.padEnd(3, "0").slice(0, 3));
}

/** Orders Slack ts strings as the times they are. */
export function compareTs(a: string, b: string): number {
  const [as, af = ""] = a.split(".");
  const [bs, bf = ""] = b.split(".");
  return Number(as) - Number(bs) ||
    (af.padEnd(9, "0") < bf.padEnd(9, "0")
      ? -1
      : af.padEnd(9, "0") > bf.padEnd(9, "0")
      ? 1
      : 0);
}
