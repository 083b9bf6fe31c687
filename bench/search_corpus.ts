/**
 * The search scenario's data and queries: a store filled with chat-like
 * messages (a Zipf-skewed vocabulary, some accented words, rooms and
 * private conversations), and a mix of what people search for: common and
 * rare words, two words, short and long prefixes, accents left out, a room
 * filter, a word nobody wrote, and many common words at once.
 */
import type { Store } from "../server/store/mod.ts";

const ROOMS = 20;
const USERS = 50;
const VOCABULARY = 5000;
const SYLLABLES = [
  "ba",
  "ce",
  "di",
  "fo",
  "gu",
  "la",
  "me",
  "ni",
  "po",
  "ru",
  "sa",
  "te",
  "vi",
  "zo",
  "cha",
  "tre",
  "ma",
  "ko",
  "lu",
  "ne",
  "ri",
  "sto",
  "pla",
  "gre",
];
const ACCENTED = ["é", "è", "à", "ç", "ö", "ñ"];

/** A repeatable pseudo-random generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The vocabulary, most frequent first; one word in ten has an accent. */
export function vocabulary(): string[] {
  const next = random(7);
  const words = new Set<string>();
  while (words.size < VOCABULARY) {
    let word = "";
    const length = 2 + Math.floor(next() * 3);
    for (let i = 0; i < length; i++) {
      word += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    }
    if (next() < 0.1) {
      const at = Math.floor(next() * word.length);
      word = word.slice(0, at) +
        ACCENTED[Math.floor(next() * ACCENTED.length)] + word.slice(at + 1);
    }
    words.add(word);
  }
  return [...words];
}

/** The room names of the corpus. */
export function corpusRooms(): string[] {
  return Array.from({ length: ROOMS }, (_, i) => `room${i}`);
}

/**
 * Stores `count` messages: 4 to 16 words each, words drawn with a Zipf-like
 * skew (a few words in most messages, most words rare); one in ten is a
 * private message between two of 50 users.
 */
export async function fillCorpus(store: Store, count: number): Promise<void> {
  const words = vocabulary();
  const rooms = corpusRooms();
  for (const room of rooms) await store.createRoom(room, room);
  const next = random(11);
  const word = () => words[Math.floor(words.length * next() ** 3)];
  const batch = 1000;
  for (let start = 0; start < count; start += batch) {
    const appends: Promise<unknown>[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const length = 4 + Math.floor(next() * 13);
      const text = Array.from({ length }, word).join(" ");
      const from = Math.floor(next() * USERS);
      if (next() < 0.1) {
        const to = Math.floor(next() * USERS);
        appends.push(store.appendPrivate({
          fromKey: `user${from}`,
          from: `user${from}`,
          toKey: `user${to}`,
          to: `user${to}`,
          text,
          delivered: true,
        }));
      } else {
        appends.push(store.appendMessage({
          roomKey: rooms[Math.floor(next() * rooms.length)],
          userKey: `user${from}`,
          user: `user${from}`,
          text,
        }));
      }
    }
    await Promise.all(appends);
  }
}

/** One kind of search, and the `search` data of its instances. */
export interface SearchKind {
  label: string;
  queries: Record<string, unknown>[];
}

/** What the scenario searches for, each kind with several instances. */
export function searchKinds(): SearchKind[] {
  const words = vocabulary();
  const accented = words.filter((w) => /[^a-z]/.test(w)).slice(0, 10);
  const plain = (w: string) => w.normalize("NFD").replace(/\p{M}/gu, "");
  const kinds: [string, string[], Record<string, unknown>?][] = [
    ["common word", words.slice(0, 10)],
    ["medium word", words.slice(100, 110)],
    ["rare word", words.slice(4000, 4010)],
    [
      "two words",
      words.slice(0, 10).map((w, i) => `${w} ${words[200 + i]}`),
    ],
    ["3-letter prefix", words.slice(300, 310).map((w) => w.slice(0, 3))],
    ["2-letter prefix", ["ba", "ce", "ma", "ko", "st"]],
    ["accents left out", accented.map(plain)],
    ["absent word", ["qwertyuiop", "zzzz", "xylophone"]],
    ["common word in a room", words.slice(0, 10), { room: "room3" }],
    // The most common words, so many that no message holds them all: the
    // search cannot stop at a page's end and looks at every candidate.
    ...[8, 16, 32].map((n): [string, string[]] => [
      `${n} common words`,
      [0, 1, 2].map((i) => words.slice(i, i + n).join(" ")),
    ]),
  ];
  return kinds.map(([label, texts, extra]) => ({
    label,
    queries: texts.map((query) => ({ query, ...extra })),
  }));
}
