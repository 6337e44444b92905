// One CSV field as RFC 4180 writes it, shared by the results files and the annotation
// store (both are read back by csv-parse and by pandas, and opened in spreadsheets).

// A spreadsheet runs a cell starting with one of these as a formula (CSV injection);
// a leading apostrophe makes it text. Numbers such as "-0.5" are left alone.
const FORMULA_START = /^'*[=+\-@\t\r]/;

/** `s` as a CSV field: formula-like text escaped with a leading ', then quoted (doubled quotes) when it holds a quote, comma or line break. */
export const csvField = (s: string): string => {
  const safe = FORMULA_START.test(s) && !Number.isFinite(Number(s)) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** The text csvField was given, from the field as read back (the escaping apostrophe removed). */
export const csvText = (field: string): string => (/^'+[=+\-@\t\r]/.test(field) && !Number.isFinite(Number(field.slice(1))) ? field.slice(1) : field);
