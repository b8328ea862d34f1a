// The body a signature covers is the body that runs. A string body (the in-process request handler
// passes the SDK's string) was verified as its UTF-8 but parsed as the string itself, so a lone
// surrogate (which UTF-8 cannot carry: it is signed as U+FFFD) ran as itself under a signature made
// for U+FFFD. Now the bytes are decoded once, and what runs is what was signed.
import { describe, expect, it } from 'vitest';
import { handleWireRequest, Kms, type SigV4Credential } from 'kmsbox';
import { utf8Decode } from '../../src/crypto/bytes.js';
import { signedHeaders } from '../server/sigv4-raw.js';

const credentials = new Map<string, SigV4Credential>([['AKIDROOT', { secretAccessKey: 'root-secret' }]]);
const verify = { credentials: (id: string) => credentials.get(id) };

describe('a string body runs as the bytes that were signed', () => {
  it('a lone surrogate signed as U+FFFD runs as U+FFFD', async () => {
    // Built by hand: JSON.stringify would escape the lone surrogate as \ud800.
    const signedAs = '{"Description":"a\uFFFDb"}';
    const sent = '{"Description":"a\uD800b"}';
    const headers = signedHeaders({
      target: 'CreateKey',
      body: signedAs,
      host: 'kms.local',
      accessKeyId: 'AKIDROOT',
      secretAccessKey: 'root-secret',
    });
    const r = await handleWireRequest(new Kms(), { method: 'POST', path: '/', headers, body: sent }, { verify });
    expect(r.statusCode).toBe(200);
    expect((JSON.parse(utf8Decode(r.body)) as { KeyMetadata: { Description: string } }).KeyMetadata.Description).toBe('a\uFFFDb');
  });

  it('a well-formed string body runs unchanged', async () => {
    const body = JSON.stringify({ Description: 'ünïcødé 🔑' });
    const headers = signedHeaders({
      target: 'CreateKey',
      body,
      host: 'kms.local',
      accessKeyId: 'AKIDROOT',
      secretAccessKey: 'root-secret',
    });
    const r = await handleWireRequest(new Kms(), { method: 'POST', path: '/', headers, body }, { verify });
    expect((JSON.parse(utf8Decode(r.body)) as { KeyMetadata: { Description: string } }).KeyMetadata.Description).toBe('ünïcødé 🔑');
  });
});
