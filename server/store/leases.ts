/**
 * The tables whose rows fall due and are claimed by one node's sweep under
 * a lease (reminders.ts): saved messages' reminders and scheduled
 * messages. Each store claims them with one helper
 * (sqlite_leases.ts, postgres_leases.ts) told the table by one of these.
 */

/** A table of rows due at a time, claimed under a lease. */
export interface LeasedTable {
  /** The table's name. */
  name: string;
  /** The columns a claim answers. */
  columns: readonly string[];
  /** Its primary key's columns: a claimed row's lease is set by them. */
  keys: readonly string[];
  /** The column of the time a row is due at (NULL: never). */
  due: string;
  /** The column of the time its lease runs out (NULL: none). */
  lease: string;
  /** The order rows are claimed in, as SQL: the first due first. */
  order: string;
  /**
   * The column of whose a row is, when one holder's rows must go out in
   * their order (scheduled messages: an author's burst). A claim then
   * takes none of a holder's rows while another of its rows is held, by
   * this node or another: those after a held one wait until it is
   * confirmed (gone) or its lease ran out (claimed again with them, in
   * order). On PostgreSQL such claims take turns across nodes (a lock of
   * the table's claims for their one statement); without the turn, two
   * nodes claiming at once could each take a part of one holder's rows.
   */
  holder?: string;
}
