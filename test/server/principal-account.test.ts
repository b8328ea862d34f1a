// Which account a verified request acts in (kmsbox serve --credentials, raw HTTP): the verified
// principal's own, as in AWS, where a caller's keys, aliases and CreateKey are always its own
// account's. Found attacking the server: a credential whose principal is the root of account X
// acted in the server's default account (or in the account its 12-digit access key id spells),
// listing that account's keys and aliases and creating keys in it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms, type SigV4Credential } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { lines, rawRequest, signedHeaders } from './sigv4-raw.js';

const DEFAULT = '111122223333';
const OWN = '444455556666';
const OTHER = '999988887777';

describe('a verified principal acts in its own account', () => {
  let server: RunningServer;
  let kms: Kms;
  const keys: Record<string, string> = {};
  const credentials = new Map<string, SigV4Credential>([
    ['AKIDROOT', { secretAccessKey: 'root-secret', principal: `arn:aws:iam::${OWN}:root` }],
    // A 12-digit access key id of another account, with a principal of this one.
    [OTHER, { secretAccessKey: 'digits-secret', principal: `arn:aws:iam::${OWN}:root` }],
    // No principal: the 12-digit access key id is the account, as before (LocalStack's convention).
    ['222233334444', { secretAccessKey: 'plain-secret' }],
  ]);
  const secrets: Record<string, string> = { AKIDROOT: 'root-secret', [OTHER]: 'digits-secret', '222233334444': 'plain-secret' };
  const call = async (accessKeyId: string, target: string, input: object = {}) => {
    const body = JSON.stringify(input);
    const headers = signedHeaders({ target, body, host: `127.0.0.1:${server.port}`, accessKeyId, secretAccessKey: secrets[accessKeyId]! });
    const r = await rawRequest(server.port, 'POST', '/', lines(headers), body);
    return { status: r.status, errorType: r.headers['x-amzn-errortype'], json: JSON.parse(r.body) as Record<string, any> };
  };

  beforeAll(async () => {
    kms = new Kms();
    for (const account of [DEFAULT, OWN, OTHER]) {
      const scoped = kms.withAccount(account);
      keys[account] = (await scoped.createKey({})).KeyMetadata!.Arn!;
      await scoped.createAlias({ AliasName: `alias/of-${account}`, TargetKeyId: keys[account] });
    }
    server = await startServer(kms, { verify: { credentials: (id) => credentials.get(id) } });
  });
  afterAll(() => server.close());

  for (const accessKeyId of ['AKIDROOT', OTHER]) {
    describe(`access key ${accessKeyId} (principal: the root of ${OWN})`, () => {
      it("lists only its own account's keys and aliases", async () => {
        const listed = await call(accessKeyId, 'ListKeys');
        expect(listed.status).toBe(200);
        const arns: string[] = listed.json.Keys.map((k: { KeyArn: string }) => k.KeyArn);
        expect(arns).toContain(keys[OWN]);
        expect(arns.filter((arn) => !arn.startsWith(`arn:aws:kms:us-east-1:${OWN}:key/`))).toEqual([]);
        const aliases = await call(accessKeyId, 'ListAliases');
        expect(aliases.json.Aliases.map((a: { AliasName: string }) => a.AliasName)).toEqual([`alias/of-${OWN}`]);
      });

      it('creates keys in its own account, and resolves an alias there', async () => {
        const created = await call(accessKeyId, 'CreateKey');
        expect(created.status).toBe(200);
        expect(created.json.KeyMetadata.AWSAccountId).toBe(OWN);
        expect(created.json.KeyMetadata.Arn).toMatch(new RegExp(`^arn:aws:kms:us-east-1:${OWN}:key/`));
        const described = await call(accessKeyId, 'DescribeKey', { KeyId: `alias/of-${OWN}` });
        expect(described.json.KeyMetadata.Arn).toBe(keys[OWN]);
      });

      it("reaches another account's key only as another account (key policy decides)", async () => {
        for (const account of [DEFAULT, OTHER]) {
          const r = await call(accessKeyId, 'DescribeKey', { KeyId: keys[account] });
          expect([r.status, r.errorType]).toEqual([400, 'AccessDeniedException']);
          expect(r.json.message).toContain(
            `User: arn:aws:iam::${OWN}:root is not authorized to perform: kms:DescribeKey on resource: ${keys[account]}`,
          );
        }
      });
    });
  }

  it('a 12-digit access key id without a principal still selects that account', async () => {
    const created = await call('222233334444', 'CreateKey');
    expect(created.json.KeyMetadata.AWSAccountId).toBe('222233334444');
  });

  it("the server's default account was not touched", async () => {
    expect((await kms.listKeys({})).Keys!.map((k) => k.KeyArn)).toEqual([keys[DEFAULT]]);
    expect((await kms.withAccount(OTHER).listKeys({})).Keys!.map((k) => k.KeyArn)).toEqual([keys[OTHER]]);
  });
});
