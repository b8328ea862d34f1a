/**
 * The ceilings of bench/server.ts: node:http servers that do what any JSON endpoint must, and
 * nothing of KMS. Plain JavaScript, so that they run under `node` alone as `kmsbox serve` does.
 *
 *   node bare-http-server.mjs bare  ANSWER   reads the body, JSON.parse, answers ANSWER (kmsbox's
 *                                            own Encrypt answer, so the same size)
 *   node bare-http-server.mjs floor ANSWER   the same, and the node:crypto calls of one Encrypt in
 *                                            between: the Plaintext's base64 decoded, a fresh salt
 *                                            and nonce, the per-call key (one HMAC-SHA256), AES-256-GCM
 *                                            of the plaintext, the blob base64-encoded into an answer
 *                                            of ANSWER's size: what any server of this format does
 *
 * Both set kmsbox's headers (Content-Type, a fresh x-amzn-RequestId). Prints `listening on PORT`.
 */
import { createCipheriv, createHmac, randomBytes, randomFillSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const [mode, answerText] = process.argv.slice(2);
if ((mode !== 'bare' && mode !== 'floor') || answerText === undefined) throw new Error('usage: bare-http-server.mjs bare|floor ANSWER');
const answer = Buffer.from(answerText);
const template = JSON.parse(answerText);
const blobBytes = Buffer.from(template.CiphertextBlob, 'base64').length;
const prk = randomBytes(32);
const random = Buffer.alloc(28);

/** The floor's answer: a blob as long as kmsbox's (header, salt, nonce; ciphertext; tag). */
function encrypt(plaintext) {
  randomFillSync(random);
  const salt = random.subarray(0, 16);
  const nonce = random.subarray(16, 28);
  const callKey = createHmac('sha256', prk).update(salt).update(Buffer.of(1)).digest();
  const header = Buffer.alloc(blobBytes - plaintext.length - 16);
  random.copy(header, 0);
  const cipher = createCipheriv('aes-256-gcm', callKey, nonce);
  cipher.setAAD(header);
  const blob = Buffer.concat([header, cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return Buffer.from(JSON.stringify({ ...template, CiphertextBlob: blob.toString('base64') }));
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const request = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const body = mode === 'floor' ? encrypt(Buffer.from(request.Plaintext, 'base64')) : answer;
    res.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      'content-length': String(body.length),
    });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
