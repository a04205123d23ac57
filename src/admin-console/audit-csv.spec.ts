import { describe, expect, it } from 'vitest';
import { csvCell, csvOf } from './audit-csv.js';

describe('audit CSV', () => {
  it('neutralises every cell a spreadsheet would read as a formula', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) expect(csvCell(`${start}HYPERLINK("https://evil.example")`)).toBe(`"'${start}HYPERLINK(""https://evil.example"")"`);
  });

  it('leaves other cells as they are, quoted, with quotes doubled', () => {
    expect(csvCell('ada')).toBe('"ada"');
    expect(csvCell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvCell(null)).toBe('""');
    expect(csvCell(42)).toBe('"42"');
    expect(csvCell({ reason: '=1+1' })).toBe('"{""reason"":""=1+1""}"');
  });

  it('writes rows with CRLF', () => {
    expect(csvOf([['a', 'b'], ['-1', 'c']])).toBe(`"a","b"\r\n"'-1","c"\r\n`);
  });
});
