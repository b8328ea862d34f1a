// The wire protocol's base64 in a browser: Chromium has Uint8Array.fromBase64, so @scure/base takes
// its native path here (test/protocol/base64.test.ts covers the pure-JS one under Node 20).
import { expect, it } from 'vitest';
import { fromBase64, toBase64 } from '../../src/protocol/base64.js';
import { REFUSED_BASE64 } from '../protocol/base64-cases.js';

it('runs on the native path', () => {
  expect(typeof (Uint8Array as unknown as { fromBase64?: unknown }).fromBase64).toBe('function');
});

it('refuses the same non-canonical and foreign texts, and round-trips', () => {
  for (const text of REFUSED_BASE64) expect(fromBase64(text), JSON.stringify(text)).toBeUndefined();
  expect(fromBase64('QQ==')).toEqual(new Uint8Array([0x41]));
  expect(fromBase64('+/8=')).toEqual(new Uint8Array([0xfb, 0xff]));
  for (let n = 0; n < 40; n++) {
    const bytes = crypto.getRandomValues(new Uint8Array(n));
    const text = toBase64(bytes);
    expect(fromBase64(text)).toEqual(bytes);
  }
});
