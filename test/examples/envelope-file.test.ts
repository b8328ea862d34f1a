// examples/envelope-file.ts runs as documented: a file encrypted to file.kmsbox with streams and
// decrypted back identical.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectEnvelope } from 'kmsbox';
import { tempDir } from '../providers/file-fixtures.js';

const root = new URL('../..', import.meta.url).pathname;

describe('examples/envelope-file.ts', () => {
  it('encrypts a file to .kmsbox and back, printing progress', () => {
    const file = join(tempDir(), 'photo.jpg');
    const content = randomBytes(3 * 2 ** 20 + 12345);
    writeFileSync(file, content);
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/envelope-file.ts', file], { cwd: root, encoding: 'utf8' });
    expect(out).toMatch(/encrypting 100%/);
    expect(out).toMatch(/identical/);
    expect(Buffer.compare(readFileSync(`${file}.out`), content)).toBe(0);
    const envelope = readFileSync(`${file}.kmsbox`);
    expect(inspectEnvelope(envelope).encryptionContext).toEqual({ file: 'photo.jpg' });
  });
});
