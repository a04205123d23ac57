import type { SecurityNoticeKind } from '../config/configuration.js';

/** A notice's own words: its subject, what happened (to the account named), and what to do if it was the reader. */
export interface NoticeWording {
  headline: string;
  what: (username: string) => string;
  advice: string;
}

const NOTHING_TO_DO = 'If that was you, there is nothing to do.';

/**
 * What each kind of notice says; the frame (when, from where, the reset
 * link) is the `security-notice` mail template's. Worded for the person who
 * did not do it as much as for the one who did.
 */
export const NOTICE_WORDING: Record<SecurityNoticeKind, NoticeWording> = {
  'new-sign-in': {
    headline: 'New sign-in to your account',
    what: (username) => `Someone signed in to the Gatehouse account "${username}" from a device or address it has not signed in from before.`,
    advice: NOTHING_TO_DO,
  },
  lockout: {
    headline: 'Sign-ins to your account were paused',
    what: (username) => `Sign-ins to the Gatehouse account "${username}" were paused after repeated failed attempts: someone may be guessing its password.`,
    advice: 'If that was you, wait a little and try again.',
  },
  'password-changed': {
    headline: 'Your password was changed',
    what: (username) => `The password of the Gatehouse account "${username}" was changed, and every login of the account was ended.`,
    advice: NOTHING_TO_DO,
  },
  'password-reset': {
    headline: 'Your password was reset',
    what: (username) => `The password of the Gatehouse account "${username}" was reset by e-mail, and every login of the account was ended.`,
    advice: NOTHING_TO_DO,
  },
  'email-changed': {
    headline: 'The e-mail address of your account was changed',
    what: (username) => `The e-mail address of the Gatehouse account "${username}" was changed: this address no longer receives its mail.`,
    advice: NOTHING_TO_DO,
  },
  'totp-enabled': {
    headline: 'Two-factor authentication was turned on',
    what: (username) => `Two-factor authentication (an authenticator app) was turned on for the Gatehouse account "${username}".`,
    advice: 'If that was you, keep your recovery codes somewhere safe.',
  },
  'totp-disabled': {
    headline: 'Two-factor authentication was turned off',
    what: (username) => `Two-factor authentication was turned off for the Gatehouse account "${username}": its password alone now signs in to it.`,
    advice: NOTHING_TO_DO,
  },
  'recovery-code-used': {
    headline: 'A recovery code was used',
    what: (username) => `A recovery code of the Gatehouse account "${username}" was used in place of an authenticator code; it cannot be used again.`,
    advice: NOTHING_TO_DO,
  },
  'recovery-codes-regenerated': {
    headline: 'New recovery codes were made',
    what: (username) => `New recovery codes were made for the Gatehouse account "${username}"; the old ones no longer work.`,
    advice: 'If that was you, keep the new codes somewhere safe.',
  },
  'passkey-added': {
    headline: 'A passkey was added to your account',
    what: (username) => `A passkey was added to the Gatehouse account "${username}": it now signs in to the account.`,
    advice: NOTHING_TO_DO,
  },
  'passkey-removed': {
    headline: 'A passkey was removed from your account',
    what: (username) => `A passkey was removed from the Gatehouse account "${username}".`,
    advice: NOTHING_TO_DO,
  },
  'sessions-ended': {
    headline: 'All sessions of your account were ended',
    what: (username) => `An administrator ended every session of the Gatehouse account "${username}": every device must sign in again.`,
    advice: 'If you expected that, there is nothing to do.',
  },
};
