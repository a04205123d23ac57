import { describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../config/configuration.js';
import { EMAIL_LINK_PAGES, emailLink } from './email-links.js';

const configOf = (publicUrl: string, linkBase: string | null) => ({ publicUrl, mail: { linkBase } }) as AppConfiguration;

describe('the links the mails carry', () => {
  it('open Gatehouse’s pages at PUBLIC_URL, or the same paths at EMAIL_LINK_BASE', () => {
    expect(emailLink(configOf('https://auth.example.com', null), EMAIL_LINK_PAGES.verifyEmail, 'tok')).toBe('https://auth.example.com/verify-email?token=tok');
    expect(emailLink(configOf('https://auth.example.com', 'https://app.example.com/account'), EMAIL_LINK_PAGES.resetPassword, 'tok')).toBe(
      'https://app.example.com/account/reset-password?token=tok',
    );
  });

  it('read PUBLIC_URL when the mail is made, once PORT=0 has settled it', () => {
    const config = configOf('http://127.0.0.1:0', null);
    config.publicUrl = 'http://127.0.0.1:41234';
    expect(emailLink(config, EMAIL_LINK_PAGES.verifyEmail, 't')).toBe('http://127.0.0.1:41234/verify-email?token=t');
  });
});
