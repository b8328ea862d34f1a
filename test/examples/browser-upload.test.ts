// End to end: the browser example in Chromium (Debian's, through playwright) streams a chosen file
// through envelope encryption under a WebCrypto-held kmsbox key and uploads the envelope; the bytes
// the endpoint received hold no plaintext, show their header to inspectEnvelope, and decrypt, with
// the browser's key, to the original file.
import { randomBytes } from 'node:crypto';
import { chromium, type Browser } from 'playwright';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectEnvelope } from 'kmsbox';
import { startExampleServer, type ExampleServer } from '../../examples/browser/server.js';

let browser: Browser;
let server: ExampleServer;

beforeAll(async () => {
  server = await startExampleServer();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--headless',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('examples/browser', () => {
  it('encrypts a user-chosen file before upload; what arrives decrypts to the original', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(server.url);
    const original = Buffer.concat([Buffer.from('A confidential report.\n'), randomBytes(200_000)]);
    await page.setInputFiles('#file', { name: 'report.bin', mimeType: 'application/octet-stream', buffer: original });
    await page.click('#upload');
    await page.waitForFunction(
      () => /^(uploaded|error|upload failed)/.test(document.querySelector('#status')?.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    expect(await page.textContent('#status')).toMatch(/^uploaded report\.bin/);
    expect(errors).toEqual([]);

    expect(server.uploads.length).toBe(1);
    const received = server.uploads[0]!;
    // The server holds an envelope: it can read the header (no key needed), never the content.
    const info = inspectEnvelope(received);
    expect(info.encryptionContext).toEqual({ file: 'report.bin' });
    expect(info.recipients).toHaveLength(1);
    expect(received.length - original.length).toBeLessThan(300);
    expect(received.includes(Buffer.from('A confidential report.'))).toBe(false);
    expect(received.includes(original.subarray(100, 132))).toBe(false);

    const decrypted = await page.evaluate(async (bytes) => {
      const example = (globalThis as unknown as { kmsboxExample: { decryptUpload(e: Uint8Array, name: string): Promise<Uint8Array> } })
        .kmsboxExample;
      return Array.from(await example.decryptUpload(new Uint8Array(bytes), 'report.bin'));
    }, Array.from(received));
    expect(Buffer.from(decrypted).equals(original)).toBe(true);
    await page.close();
  });
});
