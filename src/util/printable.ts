// Text from a file that may be anything (binary, another encoding) fit for a one-line
// error: control characters would break the line or drive the terminal.

/** `text` with control and replacement characters as "?", cut to `max` characters. */
export function printable(text: string, max = 40): string {
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\uFFFD]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
