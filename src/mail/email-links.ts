import type { AppConfiguration } from '../config/configuration.js';

/** The pages the mailed links open, at PUBLIC_URL (Gatehouse's hosted pages) or at EMAIL_LINK_BASE (the operator's front end). */
export const EMAIL_LINK_PAGES = {
  verifyEmail: '/verify-email',
  resetPassword: '/reset-password',
} as const;

export type EmailLinkPage = (typeof EMAIL_LINK_PAGES)[keyof typeof EMAIL_LINK_PAGES];

/**
 * The link a mail carries: `<base>/verify-email?token=…` or
 * `<base>/reset-password?token=…`, the base being EMAIL_LINK_BASE when set,
 * PUBLIC_URL otherwise (read when the mail is made: with PORT=0 it names its
 * port only once the service listens). The token is base64url: it needs no
 * encoding in a query.
 */
export function emailLink(config: AppConfiguration, page: EmailLinkPage, token: string): string {
  return `${config.mail.linkBase ?? config.publicUrl}${page}?token=${token}`;
}
