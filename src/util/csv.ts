// One CSV field as RFC 4180 writes it, shared by the results files and the annotation
// store (both are read back by csv-parse and by pandas).

/** `s` as a CSV field: quoted, with doubled quotes, only when it holds a quote, comma or line break. */
export const csvField = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
