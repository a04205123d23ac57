import { createHash } from 'node:crypto';
import type { BrandConfiguration } from '../config/configuration.js';

/** The text colours the pages use on white and on the brand colour (dark enough for 4.5:1 on white and on the page's grey). */
const DARK_TEXT = '#1b1f24';
const LIGHT_TEXT = '#ffffff';
/** WCAG 2.2 SC 1.4.3: normal text needs 4.5:1 against its background. */
export const MINIMUM_TEXT_CONTRAST = 4.5;

/** Relative luminance of a #rrggbb colour (WCAG 2.2, "relative luminance"). */
function luminance(color: string): number {
  const [red, green, blue] = [1, 3, 5].map((start) => {
    const channel = parseInt(color.slice(start, start + 2), 16) / 255;
    return channel <= 0.04045 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * red + 0.7152 * green + 0.0722 * blue;
}

/** The contrast ratio of two #rrggbb colours, from 1 to 21. */
export function contrastRatio(first: string, second: string): number {
  const [lighter, darker] = [luminance(first), luminance(second)].sort((a, b) => b - a);
  return (lighter + 0.05) / (darker + 0.05);
}

/**
 * The colours derived from BRAND_COLOR, so any colour an operator picks stays
 * readable: the button text is white or near-black, whichever contrasts more
 * with it; links and the focus ring use the brand colour only where it
 * reaches 4.5:1 on white, and the dark text colour otherwise.
 */
export function brandColors(brand: string): Record<'brand' | 'onBrand' | 'accent', string> {
  const onBrand = contrastRatio(brand, LIGHT_TEXT) >= contrastRatio(brand, DARK_TEXT) ? LIGHT_TEXT : DARK_TEXT;
  const accent = contrastRatio(brand, LIGHT_TEXT) >= MINIMUM_TEXT_CONTRAST ? brand : DARK_TEXT;
  return { brand, onBrand, accent };
}

/** A file the pages link (the stylesheet, the passkey script). */
export interface PageAsset {
  /** Where the pages link it: named by its content, so it can be cached for good. */
  path: string;
  body: string;
}

export type Stylesheet = PageAsset;

/** `/pages/assets/<name>.<hash of the content>.<extension>`. */
export function pageAsset(name: string, extension: string, body: string): PageAsset {
  const hash = createHash('sha256').update(body).digest('base64url').slice(0, 12);
  return { path: `/pages/assets/${name}.${hash}.${extension}`, body };
}

/** The stylesheet the pages link: the brand's colours as custom properties, then pages.css (ours, or the operator's). */
export function buildStylesheet(brand: BrandConfiguration, css: string): Stylesheet {
  const colors = brandColors(brand.color);
  const body = `:root {\n  --brand: ${colors.brand};\n  --on-brand: ${colors.onBrand};\n  --accent: ${colors.accent};\n}\n\n${css}`;
  return pageAsset('pages', 'css', body);
}
