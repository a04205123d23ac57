import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { withRepeatedKeysAsArrays } from './request-bodies.js';

describe('withRepeatedKeysAsArrays', () => {
  it('leaves every JSON value without repeated keys as JSON.parse reads it, however it is spaced', () => {
    fc.assert(
      fc.property(fc.json(), fc.constantFrom(0, 2, '\t'), (json, indent) => {
        const text = JSON.stringify(JSON.parse(json), null, indent);
        expect(withRepeatedKeysAsArrays(JSON.parse(text), text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('turns each repeated top-level key into the array of its values, whatever they are', () => {
    fc.assert(
      fc.property(fc.string(), fc.jsonValue(), fc.jsonValue(), (key, first, second) => {
        const text = `{${JSON.stringify(key)}: ${JSON.stringify(first)} , "other": 1, ${JSON.stringify(key)}:${JSON.stringify(second)}}`;
        const body = withRepeatedKeysAsArrays(JSON.parse(text), text) as Record<string, unknown>;
        if (key === 'other') expect(body[key]).toEqual([first, 1, second].map((value) => JSON.parse(JSON.stringify(value))));
        else expect(body[key]).toEqual([first, second].map((value) => JSON.parse(JSON.stringify(value))));
      }),
    );
  });
});
