// verifySigV4 check by check (date, skew window, signed headers, scope, access key, body hash), and the
// wire handler's identity: from the one parse, verified or not.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { handleWireRequest, Kms, verifySigV4, type SigV4Credential, type WireResponse } from 'kmsbox';
import { signatureFor, type SigV4Request } from '../../src/protocol/sigv4.js';
import { amzDate, signedHeaders } from '../server/sigv4-raw.js';

const AT = Date.UTC(2026, 0, 2, 3, 4, 5); // 20260102T030405Z
const MIN = 60_000;
const credentials = new Map<string, SigV4Credential>([
  ['AKIDAPP', { secretAccessKey: 'app-secret', principal: 'arn:aws:iam::111122223333:role/app' }],
  ['AKIDROOT', { secretAccessKey: 'root-secret' }],
]);
const lookup = (id: string) => credentials.get(id);
const BODY = '{"Limit":5}';

/** A signed ListKeys request (the SDK's signed headers unless told otherwise). */
function request(
  o: { at?: number; signed?: string[]; headers?: Record<string, string>; secret?: string; akid?: string } = {},
): SigV4Request {
  const headers = {
    ...signedHeaders({
      target: 'ListKeys',
      body: BODY,
      host: 'kms.local',
      accessKeyId: o.akid ?? 'AKIDAPP',
      secretAccessKey: o.secret ?? 'app-secret',
      at: o.at ?? AT,
      ...(o.signed ? { signedHeaders: o.signed } : {}),
    }),
    ...o.headers,
  };
  return { method: 'POST', path: '/', headers, body: BODY };
}
/** The same request with its Authorization header re-signed over its (changed) headers. */
function resign(
  req: SigV4Request,
  o: {
    signed: string[];
    stamp: string;
    scopeDate?: string;
    region?: string;
    service?: string;
    terminator?: string;
    secret?: string;
    akid?: string;
  },
): SigV4Request {
  const signature = signatureFor(req, {
    secretAccessKey: o.secret ?? 'app-secret',
    amzDate: o.stamp,
    region: o.region ?? 'us-east-1',
    service: o.service ?? 'kms',
    signedHeaders: o.signed,
  });
  const scope = `${o.akid ?? 'AKIDAPP'}/${o.scopeDate ?? o.stamp.slice(0, 8)}/${o.region ?? 'us-east-1'}/${o.service ?? 'kms'}/${o.terminator ?? 'aws4_request'}`;
  return {
    ...req,
    headers: {
      ...req.headers,
      authorization: `AWS4-HMAC-SHA256 Credential=${scope}, SignedHeaders=${o.signed.join(';')}, Signature=${signature}`,
    },
  };
}
const verify = (req: SigV4Request, now = AT, service = 'kms') => verifySigV4(req, lookup, now, service);
const failed = (req: SigV4Request, now = AT) => {
  const r = verify(req, now);
  if (r.ok) throw new Error('accepted');
  return [r.type, r.message];
};

describe('verifySigV4', () => {
  it('accepts a correct signature and names the access key, region and principal it verified', () => {
    expect(verify(request())).toEqual({
      ok: true,
      accessKeyId: 'AKIDAPP',
      region: 'us-east-1',
      principal: 'arn:aws:iam::111122223333:role/app',
    });
    expect(verify(request({ akid: 'AKIDROOT', secret: 'root-secret' }))).toEqual({
      ok: true,
      accessKeyId: 'AKIDROOT',
      region: 'us-east-1',
    });
  });

  it("no Authorization header, or an empty one: MissingAuthenticationTokenException in AWS's words", () => {
    const { authorization: _, ...unsigned } = request().headers;
    expect(failed({ ...request(), headers: unsigned })).toEqual([
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token',
    ]);
    expect(failed({ ...request(), headers: { ...unsigned, authorization: '' } })).toEqual([
      'MissingAuthenticationTokenException',
      'Request is missing Authentication Token',
    ]);
  });

  it('accepts the window of 15 minutes either side, to the second, and no more', () => {
    expect(verify(request(), AT + 15 * MIN).ok).toBe(true);
    expect(verify(request(), AT + 15 * MIN + 999).ok).toBe(true); // the window is in whole seconds
    expect(failed(request(), AT + 15 * MIN + 1000)).toEqual([
      'InvalidSignatureException',
      'Signature expired: 20260102T030405Z is now earlier than 20260102T030406Z (20260102T031906Z - 15 min.)',
    ]);
    expect(verify(request(), AT - 15 * MIN).ok).toBe(true);
    expect(failed(request(), AT - 15 * MIN - 1)).toEqual([
      'InvalidSignatureException',
      'Signature not yet current: 20260102T030405Z is still later than 20260102T030404Z (20260102T024904Z + 15 min.)',
    ]);
  });

  it('reads each X-Amz-Date on its own, whatever came before: valid and invalid dates interleaved, each twice', () => {
    const h = request().headers;
    for (let pass = 0; pass < 2; pass++) {
      for (const bad of ['20260230T030405Z', '20260102T030405', '00990102T030405Z']) {
        expect(verifySigV4(request(), lookup, AT)).toMatchObject({ ok: true, accessKeyId: 'AKIDAPP' });
        expect(failed({ ...request(), headers: { ...h, 'x-amz-date': bad } })).toEqual([
          'IncompleteSignatureException',
          `Date must be in ISO-8601 'basic format'. Got '${bad}'. See http://en.wikipedia.org/wiki/ISO_8601`,
        ]);
        expect(failed({ ...request(), headers: { ...h, 'x-amz-date': bad } })[0]).toBe('IncompleteSignatureException');
      }
      // A second later: another date, in the window, signed anew.
      expect(verifySigV4(request({ at: AT + 1000 }), lookup, AT)).toMatchObject({ ok: true });
      expect(verifySigV4(request({ at: AT + 20 * MIN }), lookup, AT)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    }
  });

  it('refuses an X-Amz-Date that is not ISO 8601 basic format or not a real instant', () => {
    const h = request().headers;
    for (const bad of [
      '2026010XT030405Z',
      '20260102T030405',
      '2026-01-02T03:04:05Z',
      '20261302T030405Z',
      '20260230T030405Z',
      '20260102T240000Z',
      '00990102T030405Z',
      ' 20260102T030405Z',
      'Fri, 02 Jan 2026 03:04:05 GMT',
    ]) {
      expect(failed({ ...request(), headers: { ...h, 'x-amz-date': bad } })).toEqual([
        'IncompleteSignatureException',
        `Date must be in ISO-8601 'basic format'. Got '${bad}'. See http://en.wikipedia.org/wiki/ISO_8601`,
      ]);
    }
    const { 'x-amz-date': _, ...undated } = h;
    expect(failed({ ...request(), headers: undated })).toEqual([
      'IncompleteSignatureException',
      `Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=${h.authorization}`,
    ]);
  });

  it('takes a signed Date header when there is no X-Amz-Date, as an HTTP date or ISO 8601 basic', () => {
    const { 'x-amz-date': _, ...base } = request().headers;
    const signed = ['content-type', 'date', 'host', 'x-amz-target'];
    for (const date of ['Fri, 02 Jan 2026 03:04:05 GMT', '20260102T030405Z']) {
      expect(verify(resign({ ...request(), headers: { ...base, date } }, { signed, stamp: '20260102T030405Z' }))).toMatchObject({
        ok: true,
        accessKeyId: 'AKIDAPP',
      });
    }
    // The weekday must be the date's (2 January 2026 was a Friday).
    const wrongDay = resign(
      { ...request(), headers: { ...base, date: 'Mon, 02 Jan 2026 03:04:05 GMT' } },
      { signed, stamp: '20260102T030405Z' },
    );
    expect(failed(wrongDay)[1]).toBe(
      "Date must be in ISO-8601 'basic format'. Got 'Mon, 02 Jan 2026 03:04:05 GMT'. See http://en.wikipedia.org/wiki/ISO_8601",
    );
    // The Date header must be signed when it is the one used...
    const unsignedDate = resign(
      { ...request(), headers: { ...base, date: '20260102T030405Z' } },
      { signed: ['content-type', 'host', 'x-amz-target'], stamp: '20260102T030405Z' },
    );
    expect(failed(unsignedDate)).toEqual(['InvalidSignatureException', "'Date' must be a 'SignedHeader' in the AWS Authorization."]);
    // ...and X-Amz-Date wins over it when both are there (AWS reads X-Amz-Date first).
    const both = resign(
      { ...request(), headers: { ...request().headers, date: 'Fri, 02 Jan 2026 03:04:05 GMT' } },
      { signed, stamp: '20260102T030405Z' },
    );
    expect(failed(both)).toEqual(['InvalidSignatureException', "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization."]);
  });

  it('requires Host, the date header and X-Amz-Target to be signed (X-Amz-Target for KMS only)', () => {
    expect(failed(request({ signed: ['content-type', 'x-amz-date', 'x-amz-target'] }))).toEqual([
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ]);
    expect(failed(request({ signed: ['content-type', 'host', 'x-amz-target'] }))).toEqual([
      'InvalidSignatureException',
      "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.",
    ]);
    expect(failed(request({ signed: ['content-type', 'host', 'x-amz-date'] }))).toEqual([
      'InvalidSignatureException',
      "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.",
    ]);
    expect(verify(request({ signed: ['host', 'x-amz-date', 'x-amz-target'] })).ok).toBe(true);
    const iam = resign(request(), { signed: ['host', 'x-amz-date'], stamp: '20260102T030405Z', service: 'iam' });
    expect(verify(iam, AT, 'iam').ok).toBe(true);
  });

  it("checks the credential scope as AWS words it: region, service, terminator, and its date against the request's", () => {
    const stamp = '20260102T030405Z';
    const signed = ['content-type', 'host', 'x-amz-date', 'x-amz-target'];
    expect(failed(resign(request(), { signed, stamp, scopeDate: '20260101' }))).toEqual([
      'InvalidSignatureException',
      "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260101' != '20260102', from '20260102T030405Z'.",
    ]);
    expect(
      failed(resign(request(), { signed, stamp, region: 'Mars', service: 'iam', terminator: 'aws5_request', scopeDate: '20260103' })),
    ).toEqual([
      'InvalidSignatureException',
      "Credential should be scoped to a valid region, not 'Mars'. Credential should be scoped to correct service: 'kms'. Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '20260103' != '20260102', from '20260102T030405Z'.",
    ]);
    expect(failed(resign(request(), { signed, stamp, service: 's3' }))).toEqual([
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'kms'.",
    ]);
    expect(verify(resign(request(), { signed, stamp, region: 'eu-west-1' }))).toMatchObject({ ok: true, region: 'eu-west-1' });
  });

  it('an unknown access key, including an inherited name from an object-backed lookup, is UnrecognizedClientException', () => {
    expect(failed(request({ akid: 'AKIDNOBODY' }))).toEqual([
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    ]);
    // `(id) => table[id]` answers "constructor" with a function: its secretAccessKey is undefined, which
    // must not make "AWS4undefined" a signing key anyone can use.
    const table: Record<string, SigV4Credential> = { AKIDAPP: { secretAccessKey: 'app-secret' } };
    for (const akid of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(verifySigV4(request({ akid, secret: 'undefined' }), (id) => table[id], AT)).toMatchObject({
        ok: false,
        type: 'UnrecognizedClientException',
      });
    }
    expect(
      verifySigV4(request({ akid: 'AKIDODD', secret: 's' }), () => ({ secretAccessKey: 's', principal: 7 as unknown as string }), AT),
    ).toMatchObject({ ok: false, type: 'UnrecognizedClientException' });
  });

  it('a signature over another body, secret, target or host does not verify', () => {
    const mismatch = [
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    ];
    expect(failed({ ...request(), body: '{"Limit":6}' })).toEqual(mismatch);
    expect(failed(request({ secret: 'wrong' }))).toEqual(mismatch);
    expect(failed({ ...request(), headers: { ...request().headers, 'x-amz-target': 'TrentService.DisableKey' } })).toEqual(mismatch);
    expect(failed({ ...request(), headers: { ...request().headers, host: 'elsewhere' } })).toEqual(mismatch);
    expect(failed({ ...request(), method: 'GET' })).toEqual(mismatch);
    expect(failed({ ...request(), path: '/other' })).toEqual(mismatch);
  });

  it("an X-Amz-Content-SHA256 must be the body's hash, signed or not", () => {
    const hash = '2f9a3e4d1c7bbb0a8d5f4f7f9c7ef4df7e4fb0f78b1f1a3aa6e6dbc4c0f2a1b0';
    const real = createHash('sha256').update(BODY).digest('hex');
    const signed = ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date', 'x-amz-target'];
    const stamp = '20260102T030405Z';
    expect(verify(resign({ ...request(), headers: { ...request().headers, 'x-amz-content-sha256': real } }, { signed, stamp })).ok).toBe(
      true,
    );
    for (const claimed of [hash, 'UNSIGNED-PAYLOAD', real.toUpperCase()]) {
      expect(
        failed(resign({ ...request(), headers: { ...request().headers, 'x-amz-content-sha256': claimed } }, { signed, stamp }))[0],
      ).toBe('InvalidSignatureException');
    }
    // Unsigned and wrong: the canonical request would use the claim, so it is refused too.
    expect(failed({ ...request(), headers: { ...request().headers, 'x-amz-content-sha256': hash } })[0]).toBe('InvalidSignatureException');
    expect(verify({ ...request(), headers: { ...request().headers, 'x-amz-content-sha256': real } }).ok).toBe(true);
  });

  it('headers named twice in different case are one header with both values, for the check and the dispatcher alike', async () => {
    // Signed as DescribeKey; a second spelling of X-Amz-Target names DisableKey.
    const kms = new Kms();
    const keyId = (await kms.createKey({})).KeyMetadata!.KeyId!;
    const body = JSON.stringify({ KeyId: keyId });
    const headers = signedHeaders({
      target: 'DescribeKey',
      body,
      host: 'kms.local',
      accessKeyId: 'AKIDROOT',
      secretAccessKey: 'root-secret',
    });
    const now = Date.now();
    const r = await handleWireRequest(
      kms,
      { method: 'POST', path: '/', headers: { 'X-Amz-Target': 'TrentService.DisableKey', ...headers }, body },
      { verify: { credentials: lookup, now: () => now } },
    );
    expect([r.statusCode, r.headers['x-amzn-errortype']]).toEqual([400, 'InvalidSignatureException']);
    expect((await kms.describeKey({ KeyId: keyId })).KeyMetadata!.KeyState).toBe('Enabled');
    const ok = await handleWireRequest(
      kms,
      { method: 'POST', path: '/', headers, body },
      { verify: { credentials: lookup, now: () => now } },
    );
    expect(ok.statusCode).toBe(200);
  });
});

describe('signing keys kept per credential (src/protocol/sigv4.ts signingKeyOf)', () => {
  it('a secret changed in the same credential object takes effect on the next request', () => {
    const credential: SigV4Credential = { secretAccessKey: 'first' };
    const lookupOne = (id: string) => (id === 'AKIDAPP' ? credential : undefined);
    expect(verifySigV4(request({ secret: 'first' }), lookupOne, AT).ok).toBe(true);
    credential.secretAccessKey = 'second';
    expect(verifySigV4(request({ secret: 'first' }), lookupOne, AT)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
    expect(verifySigV4(request({ secret: 'second' }), lookupOne, AT).ok).toBe(true);
  });

  it('another day or region derives its own key: each signature verifies only under its own scope', () => {
    const credential: SigV4Credential = { secretAccessKey: 'app-secret' };
    const lookupOne = (id: string) => (id === 'AKIDAPP' ? credential : undefined);
    const DAY = 24 * 60 * MIN;
    expect(verifySigV4(request(), lookupOne, AT).ok).toBe(true);
    expect(verifySigV4(request({ at: AT + DAY }), lookupOne, AT + DAY).ok).toBe(true);
    expect(verifySigV4(request(), lookupOne, AT).ok).toBe(true);
    const inOtherRegion = resign(request(), {
      signed: ['host', 'x-amz-date', 'x-amz-target'],
      stamp: '20260102T030405Z',
      region: 'eu-west-1',
    });
    expect(verifySigV4(inOtherRegion, lookupOne, AT)).toMatchObject({ ok: true, region: 'eu-west-1' });
    // The same signature under a scope naming the other region does not verify.
    const forged = {
      ...inOtherRegion,
      headers: { ...inOtherRegion.headers, authorization: inOtherRegion.headers.authorization!.replace('eu-west-1', 'us-east-1') },
    };
    expect(verifySigV4(forged, lookupOne, AT)).toMatchObject({ ok: false, type: 'InvalidSignatureException' });
  });
});

describe('the wire handler without verification: the same parse, any signature', () => {
  const json = (r: WireResponse) =>
    JSON.parse(new TextDecoder().decode(r.body)) as { __type?: string; message?: string; KeyMetadata?: { Arn: string } };
  const createKey = (kms: Kms, authorization?: string) =>
    handleWireRequest(kms, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'TrentService.CreateKey',
        ...(authorization === undefined ? {} : { authorization }),
      },
      body: '{}',
    });
  const scope = (s: string) => `AWS4-HMAC-SHA256 Credential=${s}, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`;

  it('no Authorization header: the default account and region', async () => {
    expect(json(await createKey(new Kms())).KeyMetadata!.Arn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
  });

  it('a well-formed header picks the region, and a 12-digit access key the account', async () => {
    expect(json(await createKey(new Kms(), scope('test/20260102/eu-west-2/kms/aws4_request'))).KeyMetadata!.Arn).toMatch(
      /^arn:aws:kms:eu-west-2:111122223333:key\//,
    );
    expect(json(await createKey(new Kms(), scope('444455556666/20260102/eu-west-2/kms/aws4_request'))).KeyMetadata!.Arn).toMatch(
      /^arn:aws:kms:eu-west-2:444455556666:key\//,
    );
    // kmsbox's own CLI header (src/cli/main.ts scopeHeaders).
    const cli = `AWS4-HMAC-SHA256 Credential=KMSBOXCLI/20260102/ap-south-1/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`;
    expect(json(await createKey(new Kms(), cli)).KeyMetadata!.Arn).toMatch(/^arn:aws:kms:ap-south-1:/);
  });

  it('a malformed header is refused, never read for a scope', async () => {
    const kms = new Kms();
    const forged = scope('999988887777/20000101/eu-west-1/kms/aws4_request, Credential=test/20260102/us-east-1/kms/aws4_request');
    const r = await createKey(kms, forged);
    expect([r.statusCode, json(r).__type, json(r).message]).toEqual([
      400,
      'IncompleteSignatureException',
      `Authorization header has more than one 'Credential' parameter. Authorization=${forged}`,
    ]);
    expect(json(await createKey(kms, 'AWS4-HMAC-SHA256 Credential=test/20260102/us-east-1/kms/aws4_request')).__type).toBe(
      'IncompleteSignatureException',
    );
    const local = await createKey(kms, scope('test/20260102/local/kms/aws4_request'));
    expect([json(local).__type, json(local).message]).toEqual([
      'InvalidSignatureException',
      "Credential should be scoped to a valid region, not 'local'.",
    ]);
    expect(json(await createKey(kms, scope('test/20260102/us-east-1/s3/aws4_request'))).message).toBe(
      "Credential should be scoped to correct service: 'kms'.",
    );
    expect((await kms.withAccount('999988887777').listKeys({})).Keys).toEqual([]);
    expect((await kms.listKeys({})).Keys).toEqual([]);
  });
});

describe('amzDate helper', () => {
  it('is the ISO 8601 basic form', () => expect(amzDate(AT)).toBe('20260102T030405Z'));
});
