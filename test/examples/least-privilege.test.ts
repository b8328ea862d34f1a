// examples/least-privilege.ts runs as documented: the app role uses but cannot manage the key,
// the key administrator manages but cannot use it, and every call is in the audit trail.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

describe('examples/least-privilege.ts', () => {
  it('shows each denial with its AccessDeniedException, then the audit trail', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', 'examples/least-privilege.ts'], { cwd: root, encoding: 'utf8' });
    for (const line of [
      /allowed {2}app {8}Encrypt/,
      /allowed {2}app {8}Decrypt/,
      /DENIED {3}app {8}DisableKey/,
      /DENIED {3}app {8}CreateKey/,
      /allowed {2}key-admin {2}DescribeKey/,
      /DENIED {3}key-admin {2}Decrypt/,
    ]) {
      expect(out).toMatch(line);
    }
    expect(out).toMatch(
      /AccessDeniedException: User: arn:aws:iam::111122223333:user\/key-admin is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key\/\S+ with an explicit deny in a resource-based policy/,
    );
    const trail = out.slice(out.indexOf('audit trail'));
    expect(trail.trim().split('\n').length - 1).toBe(13);
    expect(trail).not.toContain('MySecretPassword123');
  });
});
