import { describe, expect, it } from 'vitest';
import { describeEvent, deviceOf, formatTime } from './console-format.js';

describe('console formatting', () => {
  it('shows times in UTC to the minute', () => {
    expect(formatTime(new Date('2026-11-28T18:04:59.123Z'))).toBe('2026-11-28 18:04 UTC');
  });

  it('names a device by browser and system, and bounds an unknown user agent', () => {
    expect(deviceOf('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/140.0 Safari/537.36')).toBe('Chrome on Linux');
    expect(deviceOf('Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/140.0 Safari/537.36')).toBe('Chrome on Windows');
    expect(deviceOf(null)).toBe('Unknown device');
    expect(deviceOf('x'.repeat(200))).toHaveLength(60);
  });

  it('words the audit event types, and leaves an unknown one as it is', () => {
    expect(describeEvent('password.changed')).toBe('Password changed');
    expect(describeEvent('key.rotated')).toBe('key.rotated');
  });
});
