import { mkdtempSync, readdirSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAIL_TEMPLATES, MailTemplates } from './mail-templates.js';

const SHIPPED = new URL('./templates/', import.meta.url);

/** A copy of the shipped templates with one file replaced, as an operator's edit would. */
function editedTemplates(file: string, content: string): URL {
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-templates-'));
  cpSync(SHIPPED, folder, { recursive: true });
  writeFileSync(join(folder, file), content);
  return pathToFileURL(`${folder}/`);
}

describe('the mail templates', () => {
  it('ship a .txt and an .html for every message, and nothing else', () => {
    const expected = Object.keys(MAIL_TEMPLATES).flatMap((name) => [`${name}.html`, `${name}.txt`]);
    expect(readdirSync(SHIPPED).sort()).toEqual(expected.sort());
  });

  it('fill every value: as is in the text, HTML-escaped in the HTML, and the subject from the first line', () => {
    const mail = new MailTemplates().render('password-reset', { username: 'a<b>&"c\'', link: 'https://auth.example/reset-password?token=abc&x=1', token: 'abc', minutes: '30' });
    expect(mail.subject).toBe('Reset your password');
    expect(mail.text).toContain('"a<b>&"c\'"');
    expect(mail.text).toContain('https://auth.example/reset-password?token=abc&x=1');
    expect(mail.text).not.toMatch(/\{\{|Subject:/);
    expect(mail.html).toContain('<strong>a&lt;b&gt;&amp;&quot;c&#39;</strong>');
    expect(mail.html).toContain('href="https://auth.example/reset-password?token=abc&amp;x=1"');
    expect(mail.html).not.toContain('{{');
  });

  it('give the link mails their token and code too, for a template that builds its own link', () => {
    const folder = editedTemplates('verify-email.txt', 'Subject: Confirm\n\nhttps://app.example/#/verify/{{token}} or {{code}} ({{link}}, {{hours}} h, {{username}})\n');
    const mail = new MailTemplates(folder).render('verify-email', { username: 'u', link: 'https://a/verify-email?token=t0k', token: 't0k', code: '123456', hours: '24' });
    expect(mail.text).toBe('https://app.example/#/verify/t0k or 123456 (https://a/verify-email?token=t0k, 24 h, u)\n');
  });

  it('keep a value from adding a header through the subject', () => {
    const folder = editedTemplates('email-in-use.txt', 'Subject: Hello {{username}}\n\nBody {{time}} {{publicUrl}}\n');
    const mail = new MailTemplates(folder).render('email-in-use', { username: 'x\r\nBcc: victim@example.com', time: 't', publicUrl: 'u' });
    expect(mail.subject).toBe('Hello x Bcc: victim@example.com');
  });

  it('refuse at start-up a template without its subject line, or with a placeholder the code does not fill', () => {
    expect(() => new MailTemplates(editedTemplates('verify-email.txt', 'Confirm\n\n{{link}}'))).toThrow('mail template verify-email.txt must begin with "Subject: …" and a blank line');
    expect(() => new MailTemplates(editedTemplates('verify-email.html', '<p>{{password}}</p>'))).toThrow('mail template verify-email uses {{password}}, which is not one of username, link, token, code, hours');
  });
});
