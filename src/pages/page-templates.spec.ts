import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, type AppConfiguration } from '../config/configuration.js';
import { PageTemplates } from './page-templates.js';

const brand = { name: 'Gatehouse', logoUrl: null, color: '#2451b7' };
const templatesOf = (templatesDirectory: string | null) => new PageTemplates({ pages: { templatesDirectory, brand } } as unknown as AppConfiguration);

function operatorFolder(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-page-templates-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text);
  return folder;
}

describe('the page templates', () => {
  it('compile, ours alone, escaping every value', () => {
    const { eta } = templatesOf(null);
    const html = eta.render('error', { status: 400, title: 'T<i>', message: 'one <b>\ntwo', lang: 'en', stylesheet: '/s.css', brand: { name: 'B&B', logoUrl: null } });
    expect(html).toContain('<h1>T&lt;i&gt;</h1>');
    expect(html).toContain('<p>one &lt;b&gt;</p>');
    expect(html).toContain('<p>two</p>');
    expect(html).toContain('<title>T&lt;i&gt; · B&amp;B</title>');
  });

  it('take the operator’s template of a name over ours, and theirs finds our layout by name (and ours theirs)', () => {
    const folder = operatorFolder({ 'error.eta': "<% layout('layout', { title: 'Oops' }) %><p class=mine><%= it.message %></p>", 'ignored.txt': 'x' });
    const templates = templatesOf(folder);
    const html = templates.eta.render('error', { message: 'm', lang: 'en', stylesheet: '/s.css', brand: { name: 'B', logoUrl: null } });
    expect(html).toContain('<p class=mine>m</p>');
    expect(html).toContain('<title>Oops · B</title>');
    expect(templates.has('login')).toBe(true);
    expect(templates.has('ignored')).toBe(false);
  });

  it('stop start-up with one line on an operator’s template that does not compile', () => {
    const folder = operatorFolder({ 'login.eta': '<% if (it.x) { %>unclosed' });
    expect(() => templatesOf(folder)).toThrow(ConfigurationError);
    expect(() => templatesOf(folder)).toThrow(new RegExp(`^PAGES_TEMPLATES_DIR has a page template that does not compile, ${join(folder, 'login.eta')}: [^\\n]+$`));
  });

  it('resolve names, never paths', () => {
    const { eta } = templatesOf(null);
    expect(() => eta.render('../../package.json', {})).toThrow(/no page template named/);
    expect(() => eta.render('/etc/passwd', {})).toThrow(/no page template named/);
  });
});
