import { UnsupportedMediaTypeException } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RawServerDefault } from 'fastify';

/**
 * How request bodies are read, before any route sees them:
 * - as UTF-8 (RFC 8259 requires it of JSON): a body that declares another
 *   charset would be misread, so it is refused with 415 rather than guessed at
 *   (Fastify's parsers ignore the charset parameter);
 * - as sent: a compressed body (Content-Encoding other than identity) is
 *   refused with 415 (RFC 9110 §15.5.16), never inflated, so no small request
 *   can expand into a large one;
 * - JSON with a key repeated at the top level becomes, like a repeated form
 *   field, the array of its values, so validation refuses both alike (RFC 6749
 *   §3.2: parameters must not be repeated) instead of the last one winning.
 */
export function checkRequestBodies(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const encoding = request.headers['content-encoding']?.trim();
    if (encoding && !/^identity$/i.test(encoding)) {
      return done(new UnsupportedMediaTypeException(`Unsupported Content-Encoding "${encoding}": send the body uncompressed.`));
    }
    const charset = /;\s*charset=("?)([^";]+)\1/i.exec(request.headers['content-type'] ?? '')?.[2];
    if (charset && !/^utf-?8$/i.test(charset)) {
      return done(new UnsupportedMediaTypeException(`Unsupported charset "${charset}": send UTF-8.`));
    }
    done(null, payload);
  });

  // Fastify's own JSON parser (prototype poisoning refused), registered the Nest way.
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.useBodyParser<RawServerDefault>('application/json', { bodyLimit }, (request, raw, done) => {
    const text = raw.toString('utf8');
    parseJson(request, text, (error: Error | null, body?: unknown) => {
      if (error) return done(error, undefined);
      done(null, withRepeatedKeysAsArrays(body, text));
    });
  });
}

/** `body`, parsed from `text`, with every top-level key that `text` repeats holding the array of its values. */
export function withRepeatedKeysAsArrays(body: unknown, text: string): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const values = new Map<string, string[]>();
  for (const [key, value] of topLevelMembers(text)) values.set(key, [...(values.get(key) ?? []), value]);
  const repeated = [...values].filter(([, texts]) => texts.length > 1);
  if (!repeated.length) return body;
  const result = { ...(body as Record<string, unknown>) };
  for (const [key, texts] of repeated) result[key] = texts.map((value) => JSON.parse(value) as unknown);
  return result;
}

/** The members of the top-level object of `text`, which is valid JSON: key, and the value's text. */
function topLevelMembers(text: string): [string, string][] {
  const members: [string, string][] = [];
  let index = skipWhitespace(text, text.indexOf('{') + 1);
  while (text[index] === '"') {
    const keyEnd = endOfString(text, index);
    const key = JSON.parse(text.slice(index, keyEnd)) as string;
    const valueStart = skipWhitespace(text, skipWhitespace(text, keyEnd) + 1);
    const valueEnd = endOfValue(text, valueStart);
    members.push([key, text.slice(valueStart, valueEnd)]);
    index = skipWhitespace(text, valueEnd);
    if (text[index] === ',') index = skipWhitespace(text, index + 1);
  }
  return members;
}

function skipWhitespace(text: string, index: number): number {
  while (index < text.length && ' \t\n\r'.includes(text[index])) index++;
  return index;
}

/** Just past the closing quote of the string that opens at `index`. */
function endOfString(text: string, index: number): number {
  for (let at = index + 1; at < text.length; at++) {
    if (text[at] === '\\') at++;
    else if (text[at] === '"') return at + 1;
  }
  return text.length;
}

/** Just past the value that starts at `index`: a string, an object or array (nesting counted), or a literal. */
function endOfValue(text: string, index: number): number {
  if (text[index] === '"') return endOfString(text, index);
  let depth = 0;
  for (let at = index; at < text.length; at++) {
    const character = text[at];
    if (character === '"') at = endOfString(text, at) - 1;
    else if (character === '{' || character === '[') depth++;
    else if (character === '}' || character === ']') {
      if (depth === 0) return at;
      if (--depth === 0) return at + 1;
    } else if (depth === 0 && (character === ',' || ' \t\n\r'.includes(character))) return at;
  }
  return text.length;
}
