/**
 * The change notifications of a PostgreSQL store (freshness 'notify', provider.ts): every commit
 * also sends `pg_notify(channel, version)` (backend.ts), delivered by PostgreSQL when it commits,
 * and each provider LISTENs on its store's channel over a connection of its own.
 *
 * This listener, not postgres.js's `sql.listen`: that one re-listens by itself after a lost
 * connection but tells no one the connection was lost, and whether the replica may skip a
 * catch-up depends on exactly that. Here the client's `onclose` marks the listener as not
 * listening at once, and only a LISTEN answered on the connection now open marks it listening
 * again. Every (re)listen counts as a notification: what was sent while nobody listened is lost,
 * so the next request must catch up.
 *
 * A notification's payload is never trusted (whoever can NOTIFY on the database could send any):
 * each one only counts, and at worst costs a catch-up.
 */
import { createHash } from 'node:crypto';
import postgres from 'postgres';

/** The channel of a schema's store: `kmsbox.<schema>`, or a hash of the schema where that would pass PostgreSQL's 63 bytes. */
export function changeChannel(schema: string): string {
  const plain = `kmsbox.${schema}`;
  return plain.length <= 63 ? plain : `kmsbox.${createHash('sha256').update(schema).digest('hex').slice(0, 48)}`;
}

/** The application_name of the listening connection (in pg_stat_activity). */
export const LISTENER_APPLICATION_NAME = 'kmsbox listener';

/** Retries of a LISTEN that failed (the database unreachable): from 50 ms, doubling, up to 5 s. */
const retryDelay = (failures: number): number => Math.min(5000, 50 * 2 ** Math.min(failures, 10));

export class ChangeListener {
  readonly #client: postgres.Sql;
  readonly #channel: string;
  #listening = false;
  /** Notifications received, plus one per (re)listen: a catch-up remembers it when it starts. */
  #notifications = 0;
  #listens = 0;
  #losses = 0;
  /** The highest version a notification named: diagnostics for tests, never used to decide anything. */
  #notifiedVersion = 0;
  /** Bumped when the connection closes: a LISTEN answered on a connection since lost does not count. */
  #generation = 0;
  #inFlight = false;
  #failures = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(url: string, channel: string, connectTimeoutSeconds: number) {
    this.#channel = channel;
    this.#client = postgres(url, {
      max: 1,
      idle_timeout: 0, // never closed for being idle: it waits for notifications
      max_lifetime: null,
      fetch_types: false,
      connect_timeout: connectTimeoutSeconds,
      onnotice: () => undefined,
      onclose: () => this.#lost(),
      onnotify: (name: string, payload: string) => {
        if (name !== this.#channel) return;
        this.#notifications++;
        if (/^\d{1,15}$/.test(payload)) this.#notifiedVersion = Math.max(this.#notifiedVersion, Number(payload));
      },
      connection: { application_name: LISTENER_APPLICATION_NAME },
    } as postgres.Options<Record<string, postgres.PostgresType>>);
  }

  /** Whether a LISTEN is in force on the connection open now. */
  get listening(): boolean {
    return this.#listening;
  }

  /** A counter that moves with every notification and every (re)listen. */
  get notifications(): number {
    return this.#notifications;
  }

  /** LISTENs confirmed, and connections lost (diagnostics). */
  get listens(): number {
    return this.#listens;
  }

  get losses(): number {
    return this.#losses;
  }

  get notifiedVersion(): number {
    return this.#notifiedVersion;
  }

  /** Starts listening; retries by itself until `close`. */
  start(): void {
    this.#listen();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listening = false;
    clearTimeout(this.#timer);
    await this.#client.end({ timeout: 5 });
  }

  #listen(): void {
    if (this.#closed || this.#inFlight) return;
    this.#inFlight = true;
    const generation = this.#generation;
    // The channel is made of [a-z0-9_.] (changeChannel): quoting it as an identifier is exact.
    this.#client.unsafe(`LISTEN "${this.#channel.replaceAll('"', '""')}"`).then(
      () => {
        this.#inFlight = false;
        if (this.#closed) return;
        if (generation !== this.#generation) return this.#later(0); // answered, then lost: listen again
        this.#failures = 0;
        this.#listening = true;
        this.#listens++;
        this.#notifications++; // what came while nobody listened is unknown: the next request catches up
      },
      () => {
        this.#inFlight = false;
        this.#later(retryDelay(this.#failures++));
      },
    );
  }

  #lost(): void {
    this.#listening = false;
    this.#generation++;
    this.#losses++;
    if (!this.#inFlight) this.#later(retryDelay(this.#failures));
  }

  #later(delay: number): void {
    if (this.#closed || this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#listen();
    }, delay);
    this.#timer.unref?.();
  }
}
