// `kmsbox serve --credentials FILE` refuses, at startup, a file whose entries could not mean what
// they seem to: an access key id no request can carry, an empty secret (anyone who knows the id
// could sign), a principal that is not an IAM or STS ARN, or a 12-digit access key id whose
// principal is in another account (the principal's account is the one the request acts in).
// Found attacking the server: all of these were accepted, and a principal such as "" or "*" ran.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliBundle } from '../cli/cli-bundle.js';
import { tempDir } from '../providers/file-fixtures.js';

const root = new URL('../..', import.meta.url).pathname;

function serve(file: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliBundle, 'serve', '--port', '0', '--credentials', file], { cwd: root });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGTERM'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Started: stop it (a clean SIGTERM shutdown exits 0).
      if (stdout.includes('listening on')) child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('kmsbox serve --credentials FILE', () => {
  const dir = tempDir();
  const write = (name: string, content: unknown) => {
    const file = join(dir, name);
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };

  it.each([
    [
      'an access key id no request can carry',
      { 'AK ID': { secretAccessKey: 's' } },
      "'AK ID' is not an access key id (1 to 128 letters, digits or _)",
    ],
    ['an empty secret', { AKID: { secretAccessKey: '' } }, 'AKID needs a non-empty secretAccessKey'],
    [
      'a principal that is not an ARN',
      { AKID: { secretAccessKey: 's', principal: '*' } },
      "AKID's principal '*' is not an IAM or STS ARN such as arn:aws:iam::111122223333:role/app",
    ],
    [
      'an empty principal',
      { AKID: { secretAccessKey: 's', principal: '' } },
      "AKID's principal '' is not an IAM or STS ARN such as arn:aws:iam::111122223333:role/app",
    ],
    [
      'a bare account id as principal',
      { AKID: { secretAccessKey: 's', principal: '111122223333' } },
      "AKID's principal '111122223333' is not an IAM or STS ARN such as arn:aws:iam::111122223333:role/app",
    ],
    [
      'a 12-digit access key id with a principal of another account',
      { '999988887777': { secretAccessKey: 's', principal: 'arn:aws:iam::444455556666:root' } },
      "999988887777 is an account id, but its principal arn:aws:iam::444455556666:root is in account 444455556666 (the principal's account is the one its requests act in)",
    ],
  ])('refuses %s (a usage mistake: exit 252)', async (_, content, message) => {
    const file = write('bad.json', content);
    const r = await serve(file);
    expect({ code: r.code, stderr: r.stderr.trim(), stdout: r.stdout }).toEqual({
      code: 252,
      stderr: `kmsbox: --credentials ${file}: ${message}`,
      stdout: '',
    });
  });

  it('refuses a file that is not JSON without quoting it: the text around the mistake is a secret key', async () => {
    const file = write('broken.json', '{"AKID": {"secretAccessKey": wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY}}');
    const r = await serve(file);
    expect({ code: r.code, stderr: r.stderr.trim(), stdout: r.stdout }).toEqual({
      code: 252,
      stderr: `kmsbox: --credentials ${file}: not valid JSON`,
      stdout: '',
    });
    expect(r.stderr).not.toContain('wJalr');
  });

  it("starts with well-formed entries (a role, a root, a 12-digit id of the principal's own account, no principal)", async () => {
    const file = write('good.json', {
      AKIDAPP: { secretAccessKey: 'a', principal: 'arn:aws:iam::111122223333:role/app' },
      AKIDSESSION: { secretAccessKey: 'b', principal: 'arn:aws:sts::111122223333:assumed-role/app/session' },
      '444455556666': { secretAccessKey: 'c', principal: 'arn:aws:iam::444455556666:root' },
      AKIDPLAIN: { secretAccessKey: 'd' },
    });
    const r = await serve(file);
    expect(r.stdout).toMatch(/kmsbox listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
