/**
 * The keys of a box that offers a list of choices below it (the quick
 * switcher, the forward dialog): ↑ and ↓ move the active choice round the
 * list, Enter picks it. The focus stays in the box.
 */

/** What the keys do to the caller's list. */
export interface ChoiceKeyActions<T> {
  /** Makes the choice at this index the active one. */
  move(index: number): void;
  /** Takes this choice. */
  pick(choice: T): void;
}

/**
 * Handles a key pressed in the box, the choice at `at` active. Enter with
 * no choice is left alone (a form's submit takes it).
 */
export function choiceKey<T>(
  event: KeyboardEvent,
  choices: readonly T[],
  at: number,
  actions: ChoiceKeyActions<T>,
): void {
  if (event.isComposing) return;
  const n = choices.length;
  if (event.key === "ArrowDown" || event.key === "ArrowUp") {
    event.preventDefault();
    if (n === 0) return;
    const step = event.key === "ArrowDown" ? 1 : -1;
    actions.move((at + step + n) % n);
  } else if (event.key === "Enter" && n > 0) {
    event.preventDefault();
    actions.pick(choices[at]);
  }
}
