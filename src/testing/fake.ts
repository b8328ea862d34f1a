/**
 * installKmsFake: routes every AWS SDK v3 KMSClient (and the aggregated KMS class, which extends
 * it) to an in-process kmsbox Kms, including clients made before the call and inside the code
 * under test. Like aws-sdk-client-mock it patches `send` on the client class's prototype; unlike
 * it, the request still runs through the client's own middleware stack (serialization, retries,
 * signing, parsing), and only the HTTP request handler is swapped for createRequestHandler(kms).
 * So the SDK raises its own exception classes and retries what it would retry against AWS.
 */
/// <reference lib="esnext.disposable" />
import { Kms } from '../kms.js';
import { ManualClock } from '../clock.js';
import { ValidationException } from '../errors.js';
import { utf8Encode } from '../crypto/bytes.js';
import { randomUuid, setTestRandomSource } from '../crypto/random.js';
import { createRequestHandler, type KmsRequestHandler, type SdkHttpRequest } from '../protocol/sdk-request-handler.js';
import { defaultClientClass, type SdkClient, type SdkClientClass } from './sdk.js';
import { requestInput, type KmsCall } from './history.js';
import { failRule, latencyRule, matches, type FailOptions, type LatencyOptions, type Rule } from './faults.js';
import { seededFraction, seededSource, type Seed } from './seeded.js';

export interface KmsFakeOptions {
  /** The service to route to. Default: a new `Kms` (with a seed: on a clock standing at 2026-01-01T00:00:00Z). */
  kms?: Kms;
  /**
   * Deterministic mode, for snapshot tests: while the fake is installed every random draw of
   * kmsbox (key ids, key material, data keys, salts, nonces, request ids) comes from this seed.
   * Keys made this way are for tests only: the seed gives them away.
   */
  seed?: Seed;
  /** Keep `Plaintext` and `Message` in the call history. Default false: they read `'[redacted]'`. */
  recordPlaintext?: boolean;
  /** The client class(es) to patch. Default: `KMSClient` from the @aws-sdk/client-kms the project has installed. */
  client?: SdkClientClass | readonly SdkClientClass[];
  /** Keep the credentials each client resolves (e.g. 12-digit access keys choosing the account). Default: fixed test credentials, so no credential chain runs. */
  keepCredentials?: boolean;
}

export interface KmsFake {
  readonly kms: Kms;
  /** The clock of the Kms the fake made for a seed; undefined otherwise. */
  readonly clock: ManualClock | undefined;
  /** Every request the SDK sent, one entry per attempt (a retried call appears once per try), oldest first. */
  readonly calls: readonly KmsCall[];
  /** The calls of one operation. */
  callsOf(operation: string): KmsCall[];
  /** Make matching calls fail with an AWS exception. Rules apply in the order added; the first that fires wins. */
  fail(operation: string, options?: FailOptions): this;
  /** Delay matching calls by `ms` milliseconds (before any failure). */
  latency(operation: string, ms: number, options?: LatencyOptions): this;
  /** Forget recorded calls, failures and latencies; keys stay. */
  reset(): void;
  /** Put every patched class and client back as it was. Safe to call twice. */
  restore(): void;
  [Symbol.dispose](): void;
}

/** Static test credentials: the signature is computed but nothing verifies it (as with LocalStack). */
const TEST_CREDENTIALS = Object.freeze({ accessKeyId: 'AKIAKMSBOXFAKE000000', secretAccessKey: 'kmsbox-fake-secret-access-key' });
const SEEDED_EPOCH = Date.UTC(2026, 0, 1);
const TARGET_PREFIX = 'TrentService.';

type Send = (this: SdkClient, ...args: unknown[]) => unknown;
interface Patch {
  readonly prototype: { send?: Send };
  readonly original: Send;
  readonly ownBefore: boolean;
  readonly fake: FakeImpl;
}
/** One fake per patched class at a time: installing another restores the one before. */
const PATCHES = new Map<object, Patch>();

interface SavedConfig {
  requestHandler: unknown;
  credentials: unknown;
  region: unknown;
  useFipsEndpoint: unknown;
}

/** A config value (or provider) read once: `ok` maps it, `failed` stands in when the provider throws. */
function once<T>(value: unknown, ok: (value: unknown) => T, failed: () => T): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () =>
    (result ??= (async () => {
      try {
        return ok(typeof value === 'function' ? await (value as () => unknown)() : value);
      } catch {
        return failed();
      }
    })());
}

function header(headers: Record<string, string>, name: string): string | undefined {
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class FakeImpl implements KmsFake {
  readonly kms: Kms;
  readonly clock: ManualClock | undefined;
  readonly #calls: KmsCall[] = [];
  #rules: Rule[] = [];
  readonly #attached = new Map<SdkClient, SavedConfig>();
  readonly #handler: KmsRequestHandler;
  readonly #inner: KmsRequestHandler;
  readonly #recordPlaintext: boolean;
  readonly #keepCredentials: boolean;
  readonly #fraction: () => number;
  readonly #seeded: boolean;
  #restored = false;

  constructor(options: KmsFakeOptions) {
    this.#recordPlaintext = options.recordPlaintext === true;
    this.#keepCredentials = options.keepCredentials === true;
    this.#seeded = options.seed !== undefined;
    if (options.seed !== undefined) {
      if (!(typeof options.seed === 'string' || typeof options.seed === 'number' || options.seed instanceof Uint8Array)) {
        throw new ValidationException({ message: 'seed must be a string, a number or a Uint8Array.' });
      }
      setTestRandomSource(seededSource(options.seed));
      this.#fraction = seededFraction(seededSource(`faults:${String(options.seed)}`));
    } else {
      this.#fraction = Math.random;
    }
    this.clock = options.kms === undefined && this.#seeded ? new ManualClock(SEEDED_EPOCH) : undefined;
    this.kms = options.kms ?? new Kms(this.clock ? { clock: this.clock } : {});
    this.#inner = createRequestHandler(this.kms);
    this.#handler = { ...this.#inner, handle: (request) => this.#handle(request) };
  }

  get calls(): readonly KmsCall[] {
    return this.#calls;
  }

  callsOf(operation: string): KmsCall[] {
    return this.#calls.filter((c) => c.operation === operation);
  }

  fail(operation: string, options?: FailOptions): this {
    this.#rules.push(failRule(operation, options));
    return this;
  }

  latency(operation: string, ms: number, options?: LatencyOptions): this {
    this.#rules.push(latencyRule(operation, ms, options));
    return this;
  }

  reset(): void {
    this.#calls.length = 0;
    this.#rules = [];
  }

  /** Called by the patched `send` with each client before its request runs. */
  attach(client: SdkClient): void {
    if (this.#restored || this.#attached.has(client)) return;
    const config = client.config;
    this.#attached.set(client, {
      requestHandler: config.requestHandler,
      credentials: config.credentials,
      region: config.region,
      useFipsEndpoint: config.useFipsEndpoint,
    });
    config.requestHandler = this.#handler;
    if (!this.#keepCredentials) config.credentials = async () => TEST_CREDENTIALS;
    // A client with no region configured would fail before sending (after asking the instance
    // metadata service); the fake's Kms region stands in. Asked once per client, not per request.
    const region = once(
      config.region,
      (value) => (typeof value === 'string' && value !== '' ? value : this.kms.region),
      () => this.kms.region,
    );
    // useFipsEndpoint asks the client's own region provider again: the same fallback applies.
    const fips = once(
      config.useFipsEndpoint,
      (value) => value === true,
      () => false,
    );
    config.region = region;
    config.useFipsEndpoint = fips;
    // The client caches each command's resolved handler, which holds the request handler.
    delete client.handlers;
  }

  async #handle(request: SdkHttpRequest): ReturnType<KmsRequestHandler['handle']> {
    const target = header(request.headers, 'x-amz-target') ?? '';
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target;
    const call: KmsCall = { operation, input: requestInput(request.body, this.#recordPlaintext) };
    this.#calls.push(call);
    for (const rule of this.#rules) {
      if (rule.error !== undefined || !matches(rule, operation, call.input)) continue;
      rule.remaining--;
      await sleep(rule.delayMs);
    }
    for (const rule of this.#rules) {
      if (rule.error === undefined || !matches(rule, operation, call.input)) continue;
      if (rule.rate < 1 && this.#fraction() >= rule.rate) continue;
      rule.remaining--;
      call.error = rule.error.name;
      const headers = {
        'content-type': 'application/x-amz-json-1.1',
        'x-amzn-requestid': randomUuid(),
        'x-amzn-errortype': rule.error.name,
      };
      const body = utf8Encode(JSON.stringify({ __type: rule.error.name, message: rule.error.message }));
      return { response: { statusCode: rule.error.status, headers, body } };
    }
    const answer = await this.#inner.handle(request);
    if (answer.response.statusCode >= 400) call.error = header(answer.response.headers, 'x-amzn-errortype');
    return answer;
  }

  patch(clientClass: SdkClientClass): void {
    const prototype = clientClass.prototype as { send?: Send };
    if (typeof prototype.send !== 'function')
      throw new ValidationException({
        message: `${clientClass.name || 'The client class'} has no send method: pass an AWS SDK v3 client class.`,
      });
    PATCHES.get(prototype)?.fake.restore();
    const ownBefore = Object.hasOwn(prototype, 'send');
    const original = prototype.send;
    const fake = this;
    prototype.send = function send(this: SdkClient, ...args: unknown[]): unknown {
      fake.attach(this);
      return original.apply(this, args);
    };
    PATCHES.set(prototype, { prototype, original, ownBefore, fake });
  }

  restore(): void {
    if (this.#restored) return;
    this.#restored = true;
    for (const [prototype, patch] of PATCHES) {
      if (patch.fake !== this) continue;
      if (patch.ownBefore) patch.prototype.send = patch.original;
      else delete patch.prototype.send;
      PATCHES.delete(prototype);
    }
    for (const [client, saved] of this.#attached) {
      Object.assign(client.config, saved);
      delete client.handlers;
    }
    this.#attached.clear();
    if (this.#seeded) setTestRandomSource(undefined);
  }

  [Symbol.dispose](): void {
    this.restore();
  }
}

/**
 * Routes every KMSClient / KMS of @aws-sdk/client-kms to an in-process kmsbox `Kms` until
 * `restore()` (or the end of a `using` block). `installKmsFake(kms)` or `installKmsFake({ kms, seed, … })`.
 */
export function installKmsFake(kmsOrOptions?: Kms | KmsFakeOptions): KmsFake {
  const options: KmsFakeOptions = kmsOrOptions instanceof Kms ? { kms: kmsOrOptions } : (kmsOrOptions ?? {});
  if (typeof options !== 'object' || options === null)
    throw new ValidationException({ message: 'installKmsFake takes a Kms or an options object.' });
  const classes =
    options.client === undefined
      ? [defaultClientClass()]
      : Array.isArray(options.client)
        ? options.client
        : [options.client as SdkClientClass];
  // A fake still installed on one of these classes goes first (its restore would undo this one's seed).
  for (const c of classes) PATCHES.get(c.prototype)?.fake.restore();
  const fake = new FakeImpl(options);
  try {
    for (const c of classes) fake.patch(c);
  } catch (error) {
    fake.restore();
    throw error;
  }
  return fake;
}
