import { describe, expect, it } from 'vitest';
import { parseBasicCredentials } from './basic-credentials.js';

const encode = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;

describe('parseBasicCredentials', () => {
  it('splits at the first colon only', () => {
    expect(parseBasicCredentials(encode('alice:a:b:c'))).toEqual({ ok: true, username: 'alice', password: 'a:b:c' });
    expect(parseBasicCredentials(encode('alice::x'))).toEqual({ ok: true, username: 'alice', password: ':x' });
  });

  it('reads UTF-8 and any case of the scheme name', () => {
    expect(parseBasicCredentials(encode('zoë:pässword').replace('Basic', 'BASIC'))).toEqual({ ok: true, username: 'zoë', password: 'pässword' });
  });

  it.each([
    [undefined, 'no credentials were sent'],
    ['Bearer abc', 'expected "Basic <base64 of username:password>"'],
    ['Basic  YTpi', 'expected "Basic <base64 of username:password>"'],
    ['Basic YTpi Y', 'expected "Basic <base64 of username:password>"'],
    ['Basic YTpiY', 'the credentials are not valid Base64'],
    ['Basic YTpi=', 'the credentials are not valid Base64'],
    ['Basic YT_i', 'the credentials are not valid Base64'],
    [`Basic ${Buffer.from([0xc3, 0x28, 0x3a, 0x61]).toString('base64')}`, 'the credentials are not valid UTF-8'],
    [encode('no-colon'), 'the decoded credentials have no colon between username and password'],
    [`Basic ${'A'.repeat(2000)}`, 'the header is too long'],
  ])('refuses %s: %s', (header, reason) => {
    expect(parseBasicCredentials(header)).toEqual({ ok: false, reason });
  });
});
