import { Logger } from '@nestjs/common';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { sha1Of, startPwnedPasswordsApi, type PwnedPasswordsApi } from '../../test/helpers/pwned-passwords-api.js';
import type { AppConfiguration } from '../config/configuration.js';
import { PwnedPasswordsService } from './pwned-passwords.service.js';

const BREACHED = 'a-breached-passphrase';
const DECOY = 'a-padded-passphrase';

const serviceFor = (breachCheck: AppConfiguration['passwordPolicy']['breachCheck']) =>
  new PwnedPasswordsService({ passwordPolicy: { minLength: 8, breachCheck } } as AppConfiguration);

describe('PwnedPasswordsService (against a local range API)', () => {
  let api: PwnedPasswordsApi;
  let service: PwnedPasswordsService;
  const warnings = vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);

  beforeAll(async () => {
    api = await startPwnedPasswordsApi({ [BREACHED]: 42 }, [DECOY]);
    service = serviceFor({ apiUrl: api.url, timeoutSeconds: 1 });
  });
  afterEach(() => {
    api.behave('answer');
    api.requests.length = 0;
    warnings.mockClear();
  });
  afterAll(() => api.close());

  it('finds a breached password, sending only the first five hex characters of its SHA-1, with Add-Padding', async () => {
    expect(await service.isBreached(BREACHED)).toBe(true);
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request).toMatchObject({ method: 'GET', url: `/range/${sha1Of(BREACHED).slice(0, 5)}`, body: '' });
    expect(request.headers['add-padding']).toBe('true');
    expect(JSON.stringify(request).toUpperCase()).not.toContain(sha1Of(BREACHED).slice(5, 15));
  });

  it('takes neither a decoy of the padding (count 0) nor an unknown suffix for a breach', async () => {
    expect(await service.isBreached(DECOY)).toBe(false);
    expect(await service.isBreached('a-passphrase-nobody-has-used')).toBe(false);
    expect(warnings).not.toHaveBeenCalled();
  });

  it.each<[string, 'reset' | 'hang' | number, RegExp]>([
    ['drops the connection', 'reset', /\(http:\/\/127\.0\.0\.1:\d+: .+\)/],
    ['does not answer within HIBP_TIMEOUT', 'hang', /no answer within 1 s/],
    ['answers with an error status', 503, /it answered 503/],
  ])('skips the check, with a warning, when the API %s', async (_, behaviour, reason) => {
    api.behave(behaviour);
    expect(await service.isBreached(BREACHED)).toBe(false);
    expect(warnings).toHaveBeenCalledTimes(1);
    const [message] = warnings.mock.calls[0] as [string];
    expect(message).toMatch(/^the Have I Been Pwned password check was skipped /);
    expect(message).toMatch(reason);
    expect(message).not.toContain(BREACHED);
    expect(message).not.toContain(sha1Of(BREACHED).slice(0, 5));
  });

  it('skips the check when nothing listens at HIBP_API_URL', async () => {
    const closed = await startPwnedPasswordsApi({});
    await closed.close();
    expect(await serviceFor({ apiUrl: closed.url, timeoutSeconds: 1 }).isBreached(BREACHED)).toBe(false);
    expect(warnings.mock.calls[0]?.[0]).toMatch(/\(http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED\)/);
  });

  it('asks nothing when PASSWORD_BREACH_CHECK is off', async () => {
    expect(await serviceFor(null).isBreached(BREACHED)).toBe(false);
    expect(api.requests).toHaveLength(0);
  });
});
