import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Inject, Injectable } from '@nestjs/common';
import { Eta, EtaFileResolutionError } from 'eta';
import { APP_CONFIGURATION, ConfigurationError, type AppConfiguration } from '../config/configuration.js';
import { buildStylesheet, pageAsset, type PageAsset, type Stylesheet } from './page-stylesheet.js';

/** Ours: `npm run build` copies them next to the compiled code, as it does the mail templates. */
export const BUILT_IN_TEMPLATES = fileURLToPath(new URL('./templates/', import.meta.url));
const STYLESHEET_FILE = 'pages.css';
/** The login page's "Sign in with a passkey" (always ours: an operator's login.eta links it as `it.passkeyScript`). */
const PASSKEY_SCRIPT_FILE = 'passkey-login.js';
/** The account page's "Add a passkey" (always ours, like the login page's script). */
const ACCOUNT_SCRIPT_FILE = 'account-passkeys.js';
const TEMPLATE_FILE = /^([a-z0-9][a-z0-9-]*)\.eta$/;

/** name → file of every template: the operator's where PAGES_TEMPLATES_DIR has one of that name, ours otherwise. */
function templateFiles(folders: string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const folder of folders) {
    for (const entry of readdirSync(folder)) {
      const name = TEMPLATE_FILE.exec(entry)?.[1];
      if (name) files.set(name, join(folder, entry));
    }
  }
  return files;
}

/**
 * The page templates (eta, which escapes every `<%= %>`), read and compiled
 * once at start-up: a template that does not compile stops start-up with one
 * line naming it, rather than failing a user's request. Templates find each
 * other by name (`layout('layout')`, `include('hidden-fields')`), whichever
 * folder they are in, so an operator's login.eta still gets our layout, and
 * an operator's layout.eta dresses our pages too. Also the stylesheet, with
 * the brand's colours.
 */
@Injectable()
export class PageTemplates {
  readonly eta: Eta;
  readonly stylesheet: Stylesheet;
  readonly passkeyScript: PageAsset;
  readonly accountScript: PageAsset;
  private readonly files: Map<string, string>;

  constructor(@Inject(APP_CONFIGURATION) config: AppConfiguration) {
    const operatorFolder = config.pages.templatesDirectory;
    this.files = templateFiles(operatorFolder ? [BUILT_IN_TEMPLATES, operatorFolder] : [BUILT_IN_TEMPLATES]);
    // cache: templates are compiled below, once; @fastify/view is told production so it never turns that off.
    this.eta = new Eta({ autoEscape: true, cache: true, views: BUILT_IN_TEMPLATES });
    this.eta.resolvePath = (template) => this.fileOf(template);
    for (const file of this.files.values()) this.compile(file, file.startsWith(BUILT_IN_TEMPLATES));
    const operatorCss = operatorFolder ? join(operatorFolder, STYLESHEET_FILE) : null;
    const css = readFileSync(operatorCss && existsSync(operatorCss) ? operatorCss : join(BUILT_IN_TEMPLATES, STYLESHEET_FILE), 'utf8');
    this.stylesheet = buildStylesheet(config.pages.brand, css);
    this.passkeyScript = pageAsset('passkey-login', 'js', readFileSync(join(BUILT_IN_TEMPLATES, PASSKEY_SCRIPT_FILE), 'utf8'));
    this.accountScript = pageAsset('account-passkeys', 'js', readFileSync(join(BUILT_IN_TEMPLATES, ACCOUNT_SCRIPT_FILE), 'utf8'));
  }

  /** Whether a template of this name exists (ours or the operator's). */
  has(name: string): boolean {
    return this.files.has(name);
  }

  /** `login`, `login.eta` → its file; names only, never paths, so no template can reach outside the two folders. */
  private fileOf(template: string): string {
    const file = this.files.get(template.replace(/\.eta$/, ''));
    if (!file) throw new EtaFileResolutionError(`no page template named "${template}"`);
    return file;
  }

  private compile(file: string, builtIn: boolean): void {
    try {
      this.eta.templatesSync.define(file, this.eta.compile(readFileSync(file, 'utf8'), { filepath: file }));
    } catch (error) {
      // Ours are tested: only an operator's template is the operator's to fix.
      if (builtIn) throw error;
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      throw new ConfigurationError(`PAGES_TEMPLATES_DIR has a page template that does not compile, ${file}: ${reason}`);
    }
  }
}
