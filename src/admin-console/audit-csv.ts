/**
 * The audit trail as CSV (RFC 4180) that is safe to open in a spreadsheet.
 * A cell that starts with = + - @, a tab or a carriage return is read as a
 * formula by Excel, LibreOffice and Google Sheets (OWASP, "CSV Injection"):
 * a username or user agent such as `=HYPERLINK(…)` would run when the export
 * is opened. Such a cell gets a leading `'`, which makes it text. Every cell
 * is quoted, with quotes doubled, so commas and line breaks stay in it.
 */
const FORMULA_START = /^[=+\-@\t\r]/;

export function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value as string | number | boolean);
  const neutral = FORMULA_START.test(text) ? `'${text}` : text;
  return `"${neutral.replace(/"/g, '""')}"`;
}

/** Rows (the first the header) as CSV text, CRLF line ends (RFC 4180 §2). */
export function csvOf(rows: unknown[][]): string {
  return rows.map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
