import { randomBytes } from 'node:crypto';
const v = randomBytes(100e6).toString('base64');
for (let i = 0; i < 3; i++) {
  let t = performance.now();
  /^[A-Za-z0-9+/]*={0,2}$/.test(v);
  console.log('regex', (performance.now() - t).toFixed(0));
  t = performance.now();
  Buffer.from(v, 'base64').toString('base64') === v;
  console.log('roundtrip', (performance.now() - t).toFixed(0));
}
