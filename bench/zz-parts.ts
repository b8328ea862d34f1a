import { randomBytes, createDecipheriv } from 'node:crypto';
import { mkdtempSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { buildStore } from '../test/providers/store-builder.js';
const dir = '/tmp/prof-store';
const rootKeyFile = `${dir}/root.key`;
if (!existsSync(`${dir}/s.kmsbox`)) {
  mkdtempSync; (await import('node:fs')).mkdirSync(dir, { recursive: true });
  writeFileSync(rootKeyFile, randomBytes(32));
  await buildStore(`${dir}/s.kmsbox`, rootKeyFile, readFileSync(rootKeyFile), 100000);
}
const rootKey = readFileSync(rootKeyFile);
const T = (l: string, t: number) => console.log(l, (performance.now() - t).toFixed(0));
for (let r = 0; r < 2; r++) {
let t = performance.now();
const bytes = readFileSync(`${dir}/s.kmsbox`); T('read', t); t = performance.now();
const nl = bytes.indexOf(10);
const text = bytes.subarray(0, nl).toString('utf8'); T('utf8', t); t = performance.now();
const h = JSON.parse(text); T('header JSON', t); t = performance.now();
const sealed = Buffer.from(h.payload, 'base64'); T('b64 decode', t); t = performance.now();
const again = sealed.toString('base64') === h.payload; T('b64 reencode+cmp', t); t = performance.now();
const d = createDecipheriv('aes-256-gcm', rootKey, Buffer.from(h.nonce, 'base64'));
const aad = [h.format, h.version, h.kdf, h.check, h.generation, h.storeId, h.hwm];
d.setAAD(Buffer.from(JSON.stringify(aad))); d.setAuthTag(sealed.subarray(-16));
const plain = Buffer.concat([d.update(sealed.subarray(0, -16)), d.final()]); T('decrypt', t); t = performance.now();
const ptext = plain.toString('utf8'); T('plain utf8', t); t = performance.now();
const payload = JSON.parse(ptext); T(`payload JSON ${(ptext.length/1e6).toFixed(0)}MB`, t); t = performance.now();
const mats = Object.entries(payload.materials).map(([id, m]: any) => [id, new Uint8Array(Buffer.from(m.key, 'base64'))]); T('materials', t); t = performance.now();
const s = JSON.stringify(Object.values(payload.state.keys)[0]); console.log('record bytes', s.length, s.slice(0, 1500));
}
