/**
 * A letter under a pile of combining marks ("Zalgo"): 63 of them on one
 * letter, as a hook's display name, were drawn in a column about 100
 * pixels tall over the messages around it; 249 on a topic's letter cover a
 * room's whole header. Four are more than any language's letter needs
 * (Vietnamese uses two; a keycap emoji two), so five in a row are refused
 * wherever a text is one line others read: labels (token, hook and webhook
 * names) and topics. Names need no rule: their alphabet has no marks.
 */

/** Five marks in a row: a text that holds them is refused. */
export const PILED_MARKS = /\p{M}{5}/u;

/** The refusal's words, as labels' and topics' rules say them. */
export const MARKS_RULE = "at most 4 marks on one letter";
