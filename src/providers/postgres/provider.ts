/// <reference types="node" />
/**
 * PostgresProvider: records and key material in a PostgreSQL database, so that several kmsbox
 * processes, on one host or many, serve one set of keys.
 *
 * - Records (keys, aliases, grants, import tokens) are rows of JSON text (backend.ts), served to
 *   the Kms from an in-process replica (../replica.ts) that catches up with one statement (the
 *   version, and the change-log rows since this replica's version) and commits optimistically in
 *   one statement. No client-side transaction is ever open (backend.ts, migrations.ts).
 * - Freshness (option `freshness`): 'strict' catches up once per API request, so a change made
 *   through one process is seen by the next request to any, for a round trip per request.
 *   'notify' (the default) skips that round trip while the replica is known fresh: its listener
 *   (listener.ts) is LISTENing, no commit has been notified since its last catch-up started, and
 *   that catch-up started less than `maxStaleness` ms ago. A change is then seen once its
 *   notification arrives (PostgreSQL sends it on commit), and within `maxStaleness` should
 *   notifications be lost. AWS KMS itself is eventually consistent. Writes always decide on records
 *   brought up to date inside the commit, in both modes.
 * - Material is sealed under a root key that never reaches the database (root-key.ts), and cached
 *   decrypted per KeyMaterialId (material never changes under an id; destroyed or replaced
 *   material is marked in the change log, and each process drops it on its next pull).
 * - A database that cannot be reached, or answers too slowly, gives DependencyTimeoutException;
 *   other database failures KMSInternalException (db-errors.ts). The client reconnects by itself
 *   on the next call once the database is back.
 *
 * The client is postgres.js (`postgres` on npm), not `pg`: no dependencies of its own, queries
 * pipelined on a connection (a replica's catch-up and a commit's writes cost one round trip each),
 * parameters only through tagged templates (a value cannot be concatenated into SQL by mistake),
 * and LISTEN with automatic reconnection should a later version want it.
 *
 * Threat model (the README's "Threat model" table, PostgreSQL row): whoever can read the database
 * learns the records (key ids, policies, grants, tags, descriptions) but no key material. Whoever
 * can write it, without the root key, cannot forge, edit or move a record or material: every
 * record and change-log row carries a MAC under the root key over the store id, collection, id
 * and value, and sealed material is bound to its store, KeyMaterialId and key spec (root-key.ts).
 * What they can do: delete rows, and put back an older row of the same record or an older copy of
 * the whole database (re-enabling a disabled key, restoring a revoked grant or a deleted key whose
 * material is still there): a database has no high-water mark out of its writers' reach. So give
 * kmsbox's database role to kmsbox only, and treat write access to the database (and its backups)
 * as access to the keys' state, though not to their material.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import postgres from 'postgres';
import type { KeySpec } from '../../api/enums.js';
import { AccessDeniedException, KMSInternalException, ValidationException } from '../../errors.js';
import { newMaterialId } from '../../keys/arn.js';
import type { StoreState } from '../../keys/record.js';
import { ReplicatedRecords, type RequestScope } from '../replica.js';
import { serveRecordsNow } from '../records-now.js';
import {
  forgetDerived,
  importedMaterial,
  type Material,
  newMaterial,
  registerDirectSymmetric,
  SoftwareMaterialProvider,
  supportsSpec,
} from '../software.js';
import { newStoreId, scryptParamsProblem, DEFAULT_SCRYPT_N, SCRYPT_LIMITS, sameKdf, type KdfParams } from '../store-file.js';
import type { KeyMaterialProvider, OpenRequest, SealRequest, SignRequest } from '../types.js';
import { type Guard, PostgresRecordBackend } from './backend.js';
import { ChangeListener, changeChannel } from './listener.js';
import { DeadlineExceeded, databaseError } from './db-errors.js';
import { checkSchemaName, DEFAULT_SCHEMA, migrate, newerSchema, SCHEMA_VERSION, schemaVersion } from './migrations.js';
import {
  checkValue,
  deriveRootKey,
  materialKey,
  newKdf,
  openMaterial,
  parseKdf,
  RowAuthenticator,
  rootKeyChanged,
  sealMaterial,
} from './root-key.js';

export interface PostgresProviderOptions {
  /** postgres://user:password@host:port/database (any libpq-style URL postgres.js takes). */
  url: string;
  /** Derive the root key from this passphrase with scrypt (exactly one of passphrase and rootKeyFile). */
  passphrase?: string;
  /** Or read the root key from this file: 32 raw bytes, or 64 hex characters. */
  rootKeyFile?: string;
  /** scrypt cost for a new store (stored in the database): N a power of two from 2^10 to 2^18, default 2^17. */
  scrypt?: { N?: number };
  /** The schema holding kmsbox's tables. Default `kmsbox`. */
  schema?: string;
  /** Connections in the pool. Default 10. */
  maxConnections?: number;
  /** Run pending schema migrations when the store opens. Default true; false: refuse a schema not at this version. */
  migrate?: boolean;
  /**
   * How long a call may wait for the database (to connect, for a lock, for an answer) before it
   * fails with DependencyTimeoutException. Default 10,000 ms; from 100 to 600,000.
   */
  timeoutMs?: number;
  /**
   * 'notify' (default): reads are served from the replica without a round trip while it is known
   * fresh (LISTEN/NOTIFY), so a change through another process is seen once its notification
   * arrives, or at the latest `maxStaleness` ms later. 'strict': every API request catches up first
   * (a round trip), so a change through any process is seen by the next request to any.
   */
  freshness?: 'strict' | 'notify';
  /** With freshness 'notify': the longest a request serves records without a catch-up. Default 1000 ms; from 0 to 86,400,000. */
  maxStaleness?: number;
}

/** Freshness modes (PostgresProviderOptions.freshness). */
export const FRESHNESS_MODES = ['strict', 'notify'] as const;
const DEFAULT_MAX_STALENESS_MS = 1000;

const DEFAULT_TIMEOUT_MS = 10_000;
/** The client's own deadline is a little later than the server's, whose errors say more (a lock, a statement). */
const DEADLINE_SLACK_MS = 1000;

/** The client, with the timeouts that keep a call from hanging on an unreachable database. */
export function connect(url: string, max: number, timeoutMs: number): postgres.Sql {
  return postgres(url, {
    max,
    connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    idle_timeout: 60,
    onnotice: () => undefined, // "already exists, skipping" and the like: nothing for kmsbox's caller
    connection: {
      application_name: 'kmsbox',
      statement_timeout: timeoutMs,
      lock_timeout: timeoutMs,
      idle_in_transaction_session_timeout: 3 * timeoutMs,
    },
  });
}

/**
 * Runs database calls under a deadline, their failures as typed errors. The deadline catches what
 * the server cannot time out itself: a network that went silent, a server that stopped answering.
 */
export function guardWithin(timeoutMs: number): Guard {
  return async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DeadlineExceeded()), timeoutMs + DEADLINE_SLACK_MS);
    });
    const running = call();
    running.catch(() => undefined); // lost the race: its late failure is nobody's
    try {
      return await Promise.race([running, deadline]);
    } catch (error) {
      throw databaseError(error, what);
    } finally {
      clearTimeout(timer);
    }
  };
}

function checkOptions(o: PostgresProviderOptions): void {
  if (o === null || typeof o !== 'object') throw new ValidationException({ message: 'PostgresProvider needs options with a url.' });
  if (typeof o.url !== 'string' || !/^postgres(ql)?:\/\//.test(o.url)) {
    throw new ValidationException({ message: 'PostgresProvider url must be a postgres:// or postgresql:// URL.' });
  }
  if ((o.passphrase === undefined) === (o.rootKeyFile === undefined)) {
    throw new ValidationException({ message: 'PostgresProvider needs exactly one of passphrase and rootKeyFile.' });
  }
  if (o.passphrase !== undefined && (typeof o.passphrase !== 'string' || o.passphrase.length === 0)) {
    throw new ValidationException({ message: 'PostgresProvider passphrase must be a non-empty string.' });
  }
  if (o.rootKeyFile !== undefined && (typeof o.rootKeyFile !== 'string' || o.rootKeyFile.length === 0)) {
    throw new ValidationException({ message: 'PostgresProvider rootKeyFile must be a path.' });
  }
  if (o.scrypt !== undefined) {
    const problem = scryptParamsProblem(o.scrypt?.N ?? DEFAULT_SCRYPT_N, SCRYPT_LIMITS.r, SCRYPT_LIMITS.p);
    if (problem !== undefined) throw new ValidationException({ message: `PostgresProvider scrypt: ${problem}.` });
  }
  if (o.schema !== undefined) checkSchemaName(o.schema);
  const max = o.maxConnections;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) {
    throw new ValidationException({ message: 'PostgresProvider maxConnections must be an integer from 1 to 1000.' });
  }
  const t = o.timeoutMs;
  if (t !== undefined && (typeof t !== 'number' || !Number.isInteger(t) || t < 100 || t > 600_000)) {
    throw new ValidationException({ message: 'PostgresProvider timeoutMs must be an integer from 100 to 600000.' });
  }
  if (o.freshness !== undefined && !(FRESHNESS_MODES as readonly unknown[]).includes(o.freshness)) {
    throw new ValidationException({ message: "PostgresProvider freshness must be 'strict' or 'notify'." });
  }
  const m = o.maxStaleness;
  if (m !== undefined && (typeof m !== 'number' || !Number.isInteger(m) || m < 0 || m > 86_400_000)) {
    throw new ValidationException({
      message: 'PostgresProvider maxStaleness must be an integer number of milliseconds from 0 to 86400000.',
    });
  }
  if (o.migrate !== undefined && typeof o.migrate !== 'boolean') {
    throw new ValidationException({ message: 'PostgresProvider migrate must be true or false.' });
  }
}

/**
 * Keys in a PostgreSQL database, shared by every process that opens it with the same root key.
 *
 * @example
 * ```ts
 * import { Kms } from 'kmsbox';
 * import { PostgresProvider } from 'kmsbox/postgres';
 *
 * const provider = new PostgresProvider({ url: 'postgres://kmsbox@db.internal/kmsbox', passphrase: process.env.KMSBOX_PASSPHRASE! });
 * const kms = new Kms({ provider });
 * const { KeyMetadata } = await kms.createKey({});
 * // ... every process with a PostgresProvider on this database sees the key.
 * await provider.close();
 * ```
 */
export class PostgresProvider extends SoftwareMaterialProvider implements KeyMaterialProvider {
  readonly name = 'postgres';
  /** The postgres.js client: shared with the PostgreSQL audit sink, closed by `close()`. */
  readonly sql: postgres.Sql;
  readonly schema: string;
  readonly #options: PostgresProviderOptions;
  readonly #backend: PostgresRecordBackend;
  readonly #records: ReplicatedRecords;
  readonly #guard: Guard;
  readonly #requests = new AsyncLocalStorage<RequestScope>();
  /** With freshness 'notify': the store's change notifications, and how long a replica counts as fresh. */
  readonly #listener: ChangeListener | undefined;
  readonly #maxStaleness: number;
  /** The listener's counter and the clock when the last successful catch-up started. */
  #lastCatchUp: { notifications: number; at: number; wall: number } | undefined;
  #opening: Promise<void> | undefined;
  /** Set once open: the hot path (a read, material in the cache) then skips awaiting `ready()`. */
  #opened = false;
  #storeId = '';
  #materialKey: Uint8Array | undefined;
  /** The check value of the root key this process opened the store with (rotate-root-key.ts changes it). */
  #checkValue = '';
  // Private fields: invisible to JSON.stringify and util.inspect.
  readonly #material = new Map<string, Material>();
  readonly #fetching = new Map<string, Promise<boolean>>();
  /**
   * Ids whose material was invalidated while a fetch of it was in flight: that fetch does not cache
   * what it read (the row may predate the change). Per id, so that changes to other keys' material
   * (another tenant importing material in a loop) never hold back this one's.
   */
  readonly #overtaken = new Set<string>();

  constructor(options: PostgresProviderOptions) {
    super();
    checkOptions(options);
    this.#options = options;
    this.schema = options.schema ?? DEFAULT_SCHEMA;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    try {
      this.sql = connect(options.url, options.maxConnections ?? 10, timeoutMs);
    } catch {
      throw new ValidationException({ message: 'PostgresProvider url is not a URL postgres.js can connect with.' });
    }
    this.#guard = guardWithin(timeoutMs);
    this.#backend = new PostgresRecordBackend(this.sql, this.schema, this.#guard, (ids) => this.#forget(ids));
    this.#records = new ReplicatedRecords(this.#backend);
    this.#maxStaleness = options.maxStaleness ?? DEFAULT_MAX_STALENESS_MS;
    if ((options.freshness ?? 'notify') === 'notify') {
      this.#listener = new ChangeListener(options.url, changeChannel(this.schema), Math.max(1, Math.ceil(timeoutMs / 1000)));
      // Known fresh, the replica's records are handed over without a promise (../records-now.ts).
      serveRecordsNow(this, PostgresProvider.prototype.read, () => (this.#opened && this.#fresh() ? this.#records.stateNow() : undefined));
    }
  }

  /** 'notify' or 'strict' (PostgresProviderOptions.freshness). */
  get freshness(): 'strict' | 'notify' {
    return this.#listener === undefined ? 'strict' : 'notify';
  }

  /**
   * Diagnostics (tests and benchmarks read them): catch-ups asked of the database by reads, and
   * with freshness 'notify' whether the listener is LISTENing, how often it (re)listened and lost
   * its connection, the notifications it received, and the highest version one named (a payload
   * is never trusted to decide anything: only counted).
   */
  get replicaStats(): {
    pulls: number;
    listening: boolean;
    listens: number;
    listenerLosses: number;
    notifications: number;
    notifiedVersion: number;
  } {
    const l = this.#listener;
    return {
      pulls: this.#backend.pulls,
      listening: l?.listening ?? false,
      listens: l?.listens ?? 0,
      listenerLosses: l?.losses ?? 0,
      notifications: l?.notifications ?? 0,
      notifiedVersion: l?.notifiedVersion ?? 0,
    };
  }

  /** Writes of this provider that found another process's commit first and were decided again (a measure of contention). */
  get commitConflicts(): number {
    return this.#backend.conflicts;
  }

  /** Connects, migrates (unless `migrate: false`) and checks the root key; every method calls it first. */
  ready(): Promise<void> {
    this.#opening ??= this.#open().catch((error: unknown) => {
      this.#opening = undefined; // the next call tries again (the database may be back)
      throw error;
    });
    return this.#opening;
  }

  /** Closes the connections (waiting up to 5 s for calls under way). */
  async close(): Promise<void> {
    await Promise.all([this.sql.end({ timeout: 5 }), this.#listener?.close()]);
    for (const id of [...this.#material.keys()]) this.#wipe(id);
  }

  async #open(): Promise<void> {
    const schema = this.schema;
    const s = (name: string) => this.sql(`${schema}.${name}`);
    await this.#guard('opening the store', async () => {
      if (this.#options.migrate !== false) {
        await migrate(this.sql, schema);
        return;
      }
      const found = await schemaVersion(this.sql, schema);
      if (found > SCHEMA_VERSION) throw newerSchema(schema, found);
      if (found < SCHEMA_VERSION) {
        throw new KMSInternalException({
          message: `The PostgreSQL schema "${schema}" is at version ${found}, this kmsbox needs ${SCHEMA_VERSION}: run \`kmsbox db migrate\` (or open with migrate: true).`,
        });
      }
    });
    type Meta = { store_id: string; kdf: string; check_value: string };
    const readMeta = () => this.#guard('opening the store', () => this.sql<Meta[]>`SELECT store_id, kdf, check_value FROM ${s('meta')}`);
    let [meta] = await readMeta();
    let derived: { kdf: KdfParams; key: Uint8Array } | undefined;
    if (meta === undefined) {
      // A new store: the first process to open it with a root key makes its meta row.
      const kdf = newKdf(this.#options, this.#options.scrypt?.N);
      derived = { kdf, key: deriveRootKey(this.#options, kdf) };
      const row = { store_id: newStoreId(), kdf: JSON.stringify(kdf), check_value: checkValue(derived.key) };
      await this.#guard('creating the store', () => this.sql`INSERT INTO ${s('meta')} ${this.sql(row)} ON CONFLICT DO NOTHING`);
      [meta] = await readMeta();
      if (meta === undefined) throw new KMSInternalException({ message: 'The PostgreSQL store cannot be used: its meta row is missing.' });
    }
    const kdf = parseKdf(meta.kdf);
    const rootKey = derived !== undefined && sameKdf(derived.kdf, kdf) ? derived.key : deriveRootKey(this.#options, kdf);
    try {
      if (meta.check_value.startsWith('rotating:')) {
        throw new KMSInternalException({
          message: `The PostgreSQL key store (schema "${schema}") is frozen by a root key change under way, or interrupted: run kmsbox db rotate-root-key again (with the current root key), then restart with the new one.`,
        });
      }
      if (checkValue(rootKey) !== meta.check_value) {
        throw new AccessDeniedException({
          message: `Cannot open the PostgreSQL key store (schema "${schema}"): wrong passphrase or root key.`,
        });
      }
      // Only keys derived from it stay in memory: one to seal material, one to MAC rows.
      this.#materialKey = materialKey(rootKey);
      this.#backend.authenticate(new RowAuthenticator(rootKey, meta.store_id), meta.check_value);
      this.#checkValue = meta.check_value;
      this.#storeId = meta.store_id;
    } finally {
      rootKey.fill(0);
      derived?.key.fill(0);
    }
    // Until it is LISTENing, every request catches up as in 'strict'.
    this.#listener?.start();
    this.#opened = true;
  }

  /**
   * At most one catch-up per API request, not per read (a Decrypt reads twice): the request's
   * scope follows its async calls. In 'strict', the first read of a request starts a catch-up after
   * the request began, so it sees every commit that completed before (a key disabled through
   * another process is refused). In 'notify', it does so only when the replica is not known fresh.
   */
  inRequest<T>(run: () => Promise<T>): Promise<T> {
    // Known fresh in 'notify': the request's reads need no shared catch-up (each read looks again).
    if (this.#listener !== undefined && this.#opened && this.#fresh()) return run();
    return this.#requests.run({}, run);
  }

  async read<T>(fn: (state: Readonly<StoreState>) => T): Promise<T> {
    if (!this.#opened) await this.ready();
    const request = this.#requests.getStore();
    if (this.#listener === undefined) return this.#records.read(fn, request);
    const scope = request ?? {};
    scope.caughtUp ??= this.#fresh() ? Promise.resolve() : this.#catchUp(this.#listener);
    return this.#records.read(fn, scope);
  }

  /**
   * Whether the replica has every change notified so far: the listener has been LISTENing since
   * before the last catch-up started (a (re)listen moves the counter), nothing was notified since,
   * and that catch-up started less than maxStaleness ago (a bound should notifications be lost, or
   * the listener's connection die silently).
   */
  #fresh(): boolean {
    const last = this.#lastCatchUp;
    const listener = this.#listener;
    return (
      listener?.listening === true &&
      last !== undefined &&
      last.notifications === listener.notifications &&
      performance.now() - last.at < this.#maxStaleness &&
      // performance.now() stands still while the machine is suspended; the wall clock does not
      // (and one that went back is not trusted either).
      fresh(Date.now() - last.wall, this.#maxStaleness)
    );
  }

  /** A catch-up (shared as ../replica.ts shares them), remembered with the counter and clock from before it started. */
  async #catchUp(listener: ChangeListener): Promise<void> {
    const started = { notifications: listener.notifications, at: performance.now(), wall: Date.now() };
    await this.#records.read(() => undefined);
    if (this.#lastCatchUp === undefined || started.at > this.#lastCatchUp.at) this.#lastCatchUp = started;
  }

  async update<T>(fn: (state: StoreState) => T): Promise<T> {
    await this.ready();
    return this.#records.update(fn);
  }

  async createMaterial(spec: KeySpec): Promise<string> {
    await this.ready();
    const material = await newMaterial(spec, this.name);
    const id = newMaterialId();
    const { nonce, sealed } = sealMaterial(this.#materialKey as Uint8Array, this.#storeId, id, spec, material.bytes);
    // Only while the root key is still this process's: the meta row shared-locked, so a root key
    // change either waits for this row (and re-seals it) or has committed (and nothing is written).
    const inserted = await this.#guard(
      'storing key material',
      () =>
        this.sql`WITH m AS (SELECT 1 FROM ${this.sql(`${this.schema}.meta`)} WHERE check_value = ${this.#checkValue} FOR SHARE)
          INSERT INTO ${this.sql(`${this.schema}.material`)} (id, spec, nonce, sealed) SELECT ${id}, ${spec}, ${nonce}, ${sealed} FROM m RETURNING id`,
    );
    if (inserted.length === 0) throw rootKeyChanged(this.schema);
    this.#material.set(id, material);
    return id;
  }

  async importMaterial(spec: KeySpec, bytes: Uint8Array, materialId: string): Promise<void> {
    await this.ready();
    const material = importedMaterial(spec, bytes, this.name);
    const { nonce, sealed } = sealMaterial(this.#materialKey as Uint8Array, this.#storeId, materialId, spec, material.bytes);
    // Replacing what the id held: logged, so that other processes drop what they cached.
    await this.#guard('storing key material', () =>
      this.#backend.logMaterialChange([materialId], { kind: 'replace', id: materialId, spec, nonce, sealed }),
    );
    this.#forget([materialId]);
    this.#material.set(materialId, material);
  }

  async destroyMaterial(materialIds: readonly string[]): Promise<void> {
    if (materialIds.length === 0) return;
    await this.ready();
    const ids = [...materialIds];
    await this.#guard('destroying key material', () => this.#backend.logMaterialChange(ids, { kind: 'destroy' }));
    this.#forget(ids);
  }

  protected findMaterial(id: string): Material | undefined {
    return this.#material.get(id);
  }

  /** Brings material into the cache when the database has it (else the operation finds none). */
  async #need(id: string): Promise<void> {
    if (!this.#opened) await this.ready();
    // A fetch that a pull's invalidation overtook (a reload after a reconnect) caches nothing: the
    // call would then find no material and answer InvalidCiphertextException for a good blob
    // (test/postgres/restart.test.ts). Fetch again, a few times, before giving up.
    for (let attempt = 0; attempt < 5; attempt++) {
      if (this.#material.has(id)) return;
      let fetching = this.#fetching.get(id);
      if (fetching === undefined) {
        fetching = this.#fetch(id).finally(() => {
          this.#fetching.delete(id);
          this.#overtaken.delete(id);
        });
        this.#fetching.set(id, fetching);
      }
      if (!(await fetching)) return; // the database has no such material: the operation finds none
    }
    if (this.#material.has(id)) return;
    // This key's material changed during every read: retryable (HTTP 500), never a verdict on the
    // caller's ciphertext (InvalidCiphertextException would tell a client its data is bad).
    throw new KMSInternalException({
      message: 'The key material changed in the PostgreSQL store while it was being read; try again.',
    });
  }

  /** Fetches `id` into the cache; false when the database has no such material. */
  async #fetch(id: string): Promise<boolean> {
    type Row = { spec: string; nonce: Uint8Array; sealed: Uint8Array };
    const [row] = await this.#guard(
      'reading key material',
      () => this.sql<Row[]>`SELECT spec, nonce, sealed FROM ${this.sql(`${this.schema}.material`)} WHERE id = ${id}`,
    );
    if (row === undefined) return false;
    const bytes = supportsSpec(row.spec as KeySpec)
      ? openMaterial(this.#materialKey as Uint8Array, this.#storeId, id, row.spec, row)
      : undefined;
    if (bytes === undefined) {
      await this.#stopIfRootKeyChanged();
      throw new KMSInternalException({
        message: `The PostgreSQL store cannot be used: key material ${id} is not authentic (changed, or not this store's).`,
      });
    }
    if (!this.#overtaken.has(id) && !this.#material.has(id)) this.#material.set(id, { spec: row.spec as KeySpec, bytes });
    else bytes.fill(0);
    return true;
  }

  /** Material that does not open may have been re-sealed under a new root key since: that is what to say then. */
  async #stopIfRootKeyChanged(): Promise<void> {
    const [meta] = await this.#guard(
      'reading key material',
      () => this.sql<{ check_value: string }[]>`SELECT check_value FROM ${this.sql(`${this.schema}.meta`)}`,
    );
    if (meta !== undefined && meta.check_value !== this.#checkValue) throw rootKeyChanged(this.schema);
  }

  /** Drops cached material that was destroyed or replaced (`all`: after a full reload). */
  #forget(ids: readonly string[] | 'all'): void {
    for (const fetching of this.#fetching.keys()) if (ids === 'all' || ids.includes(fetching)) this.#overtaken.add(fetching);
    for (const id of ids === 'all' ? [...this.#material.keys()] : ids) this.#wipe(id);
  }

  #wipe(id: string): void {
    const m = this.#material.get(id);
    if (m === undefined) return;
    m.bytes.fill(0);
    forgetDerived(m);
    this.#material.delete(id);
  }

  override async seal(id: string, r: SealRequest): Promise<Uint8Array> {
    await this.#need(id);
    return super.seal(id, r);
  }

  override async open(id: string, r: OpenRequest): Promise<Uint8Array | undefined> {
    await this.#need(id);
    return super.open(id, r);
  }

  // What seal and open do (registered below, so the Kms calls these directly): without a promise
  // once the material is in this process's cache.
  override sealBlob(id: string, r: SealRequest, prefix: Uint8Array): Uint8Array | Promise<Uint8Array> {
    if (this.#opened && this.#material.has(id)) return super.sealBlob(id, r, prefix);
    return this.#need(id).then(() => super.sealBlob(id, r, prefix));
  }

  override openNow(id: string, r: OpenRequest): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    if (this.#opened && this.#material.has(id)) return super.openNow(id, r);
    return this.#need(id).then(() => super.openNow(id, r));
  }

  override async mac(id: string, message: Uint8Array): Promise<Uint8Array> {
    await this.#need(id);
    return super.mac(id, message);
  }

  override async publicKey(id: string): Promise<Uint8Array> {
    await this.#need(id);
    return super.publicKey(id);
  }

  override async sign(id: string, r: SignRequest): Promise<Uint8Array> {
    await this.#need(id);
    return super.sign(id, r);
  }

  override async verify(id: string, r: SignRequest & { readonly signature: Uint8Array }): Promise<boolean> {
    await this.#need(id);
    return super.verify(id, r);
  }

  override async asymmetricEncrypt(
    id: string,
    algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
    plaintext: Uint8Array,
  ): Promise<Uint8Array> {
    await this.#need(id);
    return super.asymmetricEncrypt(id, algorithm, plaintext);
  }

  override async asymmetricDecrypt(
    id: string,
    algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256',
    ciphertext: Uint8Array,
  ): Promise<Uint8Array | undefined> {
    await this.#need(id);
    return super.asymmetricDecrypt(id, algorithm, ciphertext);
  }

  override async deriveSharedSecret(id: string, peer: Uint8Array): Promise<Uint8Array | undefined> {
    await this.#need(id);
    return super.deriveSharedSecret(id, peer);
  }
}

/**
 * Creates or upgrades the schema (`kmsbox db migrate`): what the provider does on open unless
 * `migrate: false`. Needs no root key: it makes tables, never the store's meta row.
 */
export async function migrateDatabase(options: { url: string; schema?: string }): Promise<{ from: number; to: number }> {
  if (options === null || typeof options !== 'object' || typeof options.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) {
    throw new ValidationException({ message: 'migrateDatabase needs a postgres:// or postgresql:// url.' });
  }
  const schema = checkSchemaName(options.schema ?? DEFAULT_SCHEMA);
  let sql: postgres.Sql;
  try {
    sql = connect(options.url, 1, DEFAULT_TIMEOUT_MS);
  } catch {
    throw new ValidationException({ message: 'migrateDatabase: the url is not a URL postgres.js can connect with.' });
  }
  try {
    return await guardWithin(DEFAULT_TIMEOUT_MS)('migrating the schema', () => migrate(sql, schema));
  } finally {
    await sql.end({ timeout: 5 }).catch(() => undefined);
  }
}

export { SCHEMA_VERSION };

registerDirectSymmetric(PostgresProvider.prototype.seal, PostgresProvider.prototype.open);

/** A wall-clock age within the staleness bound: not negative (a clock set back) and under it. */
const fresh = (age: number, bound: number): boolean => age >= 0 && age < bound;
