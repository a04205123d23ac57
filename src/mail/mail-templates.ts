import { readFileSync } from 'node:fs';

/**
 * The messages Gatehouse sends, each a pair of files in templates/: NAME.txt
 * (a `Subject:` line, a blank line, the plain-text body) and NAME.html (the
 * HTML body). Plain files rather than TypeScript so an operator can reword
 * them without knowing the code; `npm run build` copies them into dist/.
 * `{{name}}` stands for a value, HTML-escaped in the .html file. The link
 * mails carry the token alone too, for a template that builds its own link
 * (a front end that wants it in a fragment, say).
 */
export const MAIL_TEMPLATES = {
  'verify-email': ['username', 'link', 'token', 'code', 'hours'],
  'password-reset': ['username', 'link', 'token', 'minutes'],
  'email-in-use': ['username', 'time', 'publicUrl'],
  /**
   * Every security notice: what happened (`headline`, the subject; `what`, a
   * sentence; `advice`, for the person who did it, worded per kind in
   * security-notices/notice-wording.ts), when (UTC), from which client address
   * and user agent, and a password-reset link for a person to whom it was not
   * them.
   */
  'security-notice': ['headline', 'what', 'advice', 'username', 'time', 'address', 'userAgent', 'link', 'minutes'],
} as const;

export type MailTemplateName = keyof typeof MAIL_TEMPLATES;
export type MailValues<Name extends MailTemplateName> = Record<(typeof MAIL_TEMPLATES)[Name][number], string>;

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

const TEMPLATES_FOLDER = new URL('./templates/', import.meta.url);
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;
const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

interface Template {
  subject: string;
  text: string;
  html: string;
}

/** Reads a template pair and checks it: a subject line, and no placeholder the code does not fill. A fault stops start-up. */
function readTemplate(name: MailTemplateName, folder: URL): Template {
  const [text, html] = ['txt', 'html'].map((extension) => readFileSync(new URL(`${name}.${extension}`, folder), 'utf8'));
  const heading = /^Subject: *(.+)\r?\n\r?\n/.exec(text);
  if (!heading) throw new Error(`mail template ${name}.txt must begin with "Subject: …" and a blank line`);
  const known = new Set<string>(MAIL_TEMPLATES[name]);
  for (const [, placeholder] of `${text}${html}`.matchAll(PLACEHOLDER)) {
    if (!known.has(placeholder)) throw new Error(`mail template ${name} uses {{${placeholder}}}, which is not one of ${[...known].join(', ')}`);
  }
  return { subject: heading[1].trim(), text: text.slice(heading[0].length), html };
}

function fill(template: string, values: Record<string, string>, escape: (value: string) => string): string {
  return template.replace(PLACEHOLDER, (_, name: string) => escape(values[name]));
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/** Every template, read and checked once. */
export class MailTemplates {
  private readonly templates: Map<MailTemplateName, Template>;

  constructor(folder: URL = TEMPLATES_FOLDER) {
    this.templates = new Map((Object.keys(MAIL_TEMPLATES) as MailTemplateName[]).map((name) => [name, readTemplate(name, folder)]));
  }

  render<Name extends MailTemplateName>(name: Name, values: MailValues<Name>): RenderedMail {
    const template = this.templates.get(name)!;
    const all = values as Record<string, string>;
    // A subject is a header: values in it lose line breaks, so none can add a header of its own.
    const subject = fill(template.subject, all, (value) => value.replace(/[\r\n]+/g, ' '));
    return { subject, text: fill(template.text, all, (value) => value), html: fill(template.html, all, escapeHtml) };
  }
}
