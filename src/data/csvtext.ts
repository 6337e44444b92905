// Is this the text of a CSV as the app exports it (UTF-8, comma-separated, decimal
// points)? Files from elsewhere arrive as UTF-16 from Excel, semicolon-separated with
// decimal commas from a European spreadsheet, Latin-1 from older tools, or not text at
// all; each gets a one-line error saying which, and binary content is described,
// never echoed into the terminal.

/** Characters that never occur in a text CSV (C0 controls other than tab, LF, CR; DEL). */
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** Decodes a file's bytes as UTF-8 (invalid sequences become U+FFFD, which checkCsvText then names). */
export function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder('utf-8').decode(bytes);
}

/** Throws a one-line error naming `file` unless `text` is comma-separated UTF-8 text. */
export function checkCsvText(text: string, file: string): void {
  const head = text.slice(0, 4096);
  const nuls = (head.match(/\u0000/g) ?? []).length;
  // UTF-16 decoded as UTF-8: every other character of ASCII text is a NUL.
  if (nuls > 0 && nuls >= head.replace(/^\uFFFD\uFFFD/, '').length / 3) {
    throw new Error(`${file}: encoded as UTF-16, not UTF-8; save it as "CSV UTF-8" and try again`);
  }
  const control = CONTROL.exec(text);
  if (control) {
    throw new Error(`${file}: binary data, not a CSV text file (control byte 0x${control[0].charCodeAt(0).toString(16).padStart(2, '0')} on line ${lineAt(text, control.index)})`);
  }
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    throw new Error(`${file}: not UTF-8 text (line ${lineAt(text, bad)} holds a byte that is not UTF-8, as Latin-1 or Windows-1252 files do); save it as "CSV UTF-8" and try again`);
  }
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  if (!header.includes(',')) {
    const separator = header.includes(';') ? 'semicolons (;)' : header.includes('\t') ? 'tabs' : null;
    if (separator) {
      const decimalComma = /\d,\d/.test(text.slice(header.length, header.length + 4096));
      throw new Error(
        `${file}: columns are separated by ${separator}${decimalComma ? ' and numbers use decimal commas' : ''}; ` +
          'formscore reads pose logs as the app exports them: comma-separated, decimal points',
      );
    }
  }
}

/** 1-based line of the character at `index`. */
export function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) line++;
  return line;
}
