/**
 * A QR code of a text (an `otpauth://` URI), drawn as one SVG path of its
 * dark modules: no canvas, no image, no markup from a string. The code
 * itself comes from qrcode-generator.
 */

import qrcode from "qrcode-generator";
import type { JSX } from "preact";
import { useMemo } from "preact/hooks";

/** Modules of light margin around the code, as the standard asks (4). */
const QUIET = 4;

/** The QR code of `text`, labelled for screen readers. */
export function QrCode(
  props: { text: string; label: string; testId?: string },
): JSX.Element {
  const { size, path } = useMemo(() => modules(props.text), [props.text]);
  return (
    <svg
      class="qr-code"
      data-testid={props.testId}
      role="img"
      aria-label={props.label}
      viewBox={`0 0 ${size} ${size}`}
      shape-rendering="crispEdges"
    >
      <rect width={size} height={size} fill="#fff" />
      <path d={path} fill="#000" />
    </svg>
  );
}

// The code's side with its margin, and its dark modules as 1×1 squares.
function modules(text: string): { size: number; path: string } {
  // Type 0: the smallest that holds the text; level M (15 % restored).
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const count = qr.getModuleCount();
  const parts: string[] = [];
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (qr.isDark(row, col)) {
        parts.push(`M${col + QUIET} ${row + QUIET}h1v1h-1z`);
      }
    }
  }
  return { size: count + 2 * QUIET, path: parts.join("") };
}
