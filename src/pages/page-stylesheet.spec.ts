import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_BRAND_COLOR } from '../config/configuration.js';
import { brandColors, buildStylesheet, contrastRatio, MINIMUM_TEXT_CONTRAST } from './page-stylesheet.js';
import { BUILT_IN_TEMPLATES } from './page-templates.js';

const CSS = readFileSync(join(BUILT_IN_TEMPLATES, 'pages.css'), 'utf8');
/** The custom properties pages.css defines, name → #rrggbb. */
const defined = Object.fromEntries([...CSS.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6});/g)].map(([, name, value]) => [name, value]));

describe('the colours of the pages', () => {
  it('reach 4.5:1 by default: body, muted, error and success text, links and the button', () => {
    const brand = brandColors(DEFAULT_BRAND_COLOR);
    const pairs: [string, string][] = [
      [defined.text, defined.card],
      [defined.text, defined.page],
      [defined.muted, defined.card],
      [defined.muted, defined.page],
      [defined.error, defined['error-background']],
      [defined.success, defined['success-background']],
      [defined['field-border'], defined.card],
      [brand.accent, defined.card],
      [brand.onBrand, brand.brand],
    ];
    for (const [foreground, background] of pairs) expect(contrastRatio(foreground, background), `${foreground} on ${background}`).toBeGreaterThanOrEqual(MINIMUM_TEXT_CONTRAST);
  });

  it('keep an operator’s colour readable: dark text on a light brand, and links in the dark text colour', () => {
    expect(brandColors('#ffd43b')).toEqual({ brand: '#ffd43b', onBrand: '#1b1f24', accent: '#1b1f24' });
    expect(brandColors('#0b6e4f')).toEqual({ brand: '#0b6e4f', onBrand: '#ffffff', accent: '#0b6e4f' });
    for (const color of ['#ffd43b', '#7fdbff', '#ff4136', '#000000', '#ffffff', '#888888']) {
      const { brand, onBrand } = brandColors(color);
      expect(contrastRatio(onBrand, brand), color).toBeGreaterThanOrEqual(MINIMUM_TEXT_CONTRAST);
    }
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
  });

  it('name the stylesheet by its content', () => {
    const first = buildStylesheet({ name: 'A', logoUrl: null, color: '#2451b7' }, CSS);
    const second = buildStylesheet({ name: 'A', logoUrl: null, color: '#2451b8' }, CSS);
    expect(first.path).toMatch(/^\/pages\/assets\/pages\.[\w-]{12}\.css$/);
    expect(first.path).not.toBe(second.path);
    expect(first.body.startsWith(':root {\n  --brand: #2451b7;')).toBe(true);
  });
});
