/// <reference types="node" />
/**
 * Calls to `--endpoint-url` (a `kmsbox serve` or any AWS KMS JSON endpoint) from the command line:
 * the verbs send their wire JSON as it is; the file commands get a KmsLike (`EndpointKms`) that
 * speaks the same JSON, so the envelope code runs unchanged against a server.
 */
import { KMSServiceException } from '../errors.js';
import { REGION_NAME } from '../keys/arn.js';
import { decodeInput, encodeOutput } from '../protocol/codec.js';
import type { KmsLike } from '../envelope/kms-like.js';
import { UsageError } from './verbs.js';

/** The AWS CLI's exit code when it cannot reach the endpoint (or make sense of its answer). */
export const EXIT_CONNECTION = 255;

/** The endpoint could not be reached, or its answer is not AWS JSON: exit 255, as the AWS CLI. */
export class EndpointUnreachable extends Error {}

/**
 * The region for a command, as the AWS CLI picks it: `--region`, else AWS_REGION, else
 * AWS_DEFAULT_REGION, else us-east-1. The same for `--store` and `--endpoint-url`.
 */
export function cliRegion(given: string | undefined): string {
  const region = given ?? (process.env.AWS_REGION || undefined) ?? (process.env.AWS_DEFAULT_REGION || undefined) ?? 'us-east-1';
  if (!REGION_NAME.test(region)) throw new UsageError(`the region '${region}' is not a region name such as us-east-1`);
  return region;
}

/** Access key id in the credential scope: a fixed placeholder (no real credential is ever sent). */
const CLI_ACCESS_KEY_ID = 'KMSBOXCLI';

/**
 * Headers shaped as a SigV4-signed request's: the server reads the region (and account) from the
 * credential scope, as LocalStack does. The signature is a placeholder; no secret is involved.
 */
function scopeHeaders(region: string, now = new Date()): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, ''); // 20250101T000000Z
  const day = amzDate.slice(0, 8);
  return {
    'x-amz-date': amzDate,
    authorization: `AWS4-HMAC-SHA256 Credential=${CLI_ACCESS_KEY_ID}/${day}/${region}/kms/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature=${'0'.repeat(64)}`,
  };
}

/**
 * One request to the endpoint, `request` as its wire JSON (blobs base64): the answer's JSON object.
 * An AWS error answer throws a KMSServiceException named as the answer names it; no answer, or one
 * that is not AWS JSON, throws EndpointUnreachable.
 */
export async function callEndpoint(
  endpoint: string,
  operation: string,
  request: Record<string, unknown>,
  region: string,
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': `TrentService.${operation}`, ...scopeHeaders(region) },
      body: JSON.stringify(request),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    throw new EndpointUnreachable(`Could not connect to the endpoint URL: "${endpoint}" (${why})`);
  }
  let body: Record<string, unknown>;
  try {
    const text = await res.text();
    const parsed: unknown = text.trim() === '' ? {} : JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object');
    body = parsed as Record<string, unknown>;
  } catch (error) {
    throw new EndpointUnreachable(
      `the endpoint "${endpoint}" answered HTTP ${res.status} with a body that is not AWS JSON (${(error as Error).message}); is it a KMS endpoint?`,
    );
  }
  if (!res.ok) {
    const name = String(body.__type ?? `HTTP${res.status}`)
      .split('#')
      .pop()!;
    throw Object.assign(new KMSServiceException({ message: String(body.message ?? body.Message ?? '') }), { name });
  }
  return body;
}

/** The envelope's KMS calls, sent to an endpoint. */
export class EndpointKms implements KmsLike {
  constructor(
    private readonly endpoint: string,
    private readonly region: string,
  ) {}

  // biome-ignore lint/suspicious/noExplicitAny: each method below gives the answer its KmsLike type
  private async send(operation: string, input: object): Promise<any> {
    const body = await callEndpoint(this.endpoint, operation, encodeOutput(input) as Record<string, unknown>, this.region);
    return decodeInput(body);
  }

  generateDataKey(input: Parameters<KmsLike['generateDataKey']>[0]) {
    return this.send('GenerateDataKey', input);
  }
  encrypt(input: Parameters<KmsLike['encrypt']>[0]) {
    return this.send('Encrypt', input);
  }
  decrypt(input: Parameters<KmsLike['decrypt']>[0]) {
    return this.send('Decrypt', input);
  }
  getPublicKey(input: { KeyId: string }) {
    return this.send('GetPublicKey', input);
  }
  sign(input: Parameters<NonNullable<KmsLike['sign']>>[0]) {
    return this.send('Sign', input);
  }
  verify(input: Parameters<NonNullable<KmsLike['verify']>>[0]) {
    return this.send('Verify', input);
  }
}
