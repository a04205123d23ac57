import { describe, expect, it } from 'vitest';
import { MASK, maskedConfiguration } from './masked-configuration.js';

describe('the configuration as the admin console shows it', () => {
  const rows = maskedConfiguration({
    port: 3000,
    jwt: { algorithm: 'RS256', secret: 'a-very-secret-value', issuer: 'https://id.example' },
    database: { type: 'postgres', url: 'postgres://gatehouse:hunter2-db@db:5432/gatehouse' },
    mail: { smtpPassword: 'smtp-pass', from: 'id@example' },
    keyEncryptionKey: null,
    redis: { url: 'redis://:redis-pass@cache:6379' },
    list: ['a', 'b'],
  });
  const value = (name: string) => rows.find((row) => row.name === name)?.value;

  it('shows the settings by dotted name', () => {
    expect(value('port')).toBe('3000');
    expect(value('jwt.issuer')).toBe('https://id.example');
    expect(value('list')).toBe('a, b');
  });

  it('never shows a secret, nor a password inside a URL', () => {
    expect(value('jwt.secret')).toBe(MASK);
    expect(value('mail.smtpPassword')).toBe(MASK);
    expect(value('keyEncryptionKey')).toBe('not set');
    expect(value('database.url')).toBe(`postgres://gatehouse:${MASK}@db:5432/gatehouse`);
    expect(value('redis.url')).toBe(`redis://:${MASK}@cache:6379`);
    const all = JSON.stringify(rows);
    for (const secret of ['a-very-secret-value', 'hunter2-db', 'smtp-pass', 'redis-pass']) expect(all).not.toContain(secret);
  });
});
