/// <reference types="node" />
/**
 * The file commands' progress bar: bytes, rate and ETA on one line per file, redrawn in place at
 * most every 100 ms, and a summary line. Only on a terminal (stderr a TTY) and never with `--quiet`:
 * piped or redirected runs stay silent. Written here rather than taken from a library: it is one
 * line of text, and the libraries (cli-progress, progress) bring options and terminal handling the
 * commands do not need.
 */

/** Where the bar is drawn: process.stderr, or a test's stand-in. */
export interface ProgressTerminal {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

const REDRAW_MS = 100;
const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 1536 → "1.5 KiB". */
export function formatBytes(n: number): string {
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** 75 → "1:15", 3700 → "1:01:40". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** One line: `label [#####.....]  45%  12.0 MiB/27.0 MiB  150.0 MiB/s  ETA 0:03`, at most `columns` wide. */
export function progressLine(label: string, done: number, total: number | undefined, seconds: number, columns: number): string {
  const rate = seconds > 0 ? done / seconds : 0;
  const rateText = `${formatBytes(Math.round(rate))}/s`;
  let facts: string;
  if (total === undefined || total === 0) {
    facts = `${formatBytes(done)}  ${rateText}`;
  } else {
    const fraction = Math.min(1, done / total);
    const width = 20;
    const filled = Math.round(fraction * width);
    const eta = rate > 0 ? `ETA ${formatDuration((total - done) / rate)}` : 'ETA -:--';
    facts = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${formatBytes(done)}/${formatBytes(total)}  ${rateText}  ${eta}`;
  }
  const room = columns - facts.length - 2;
  const name = room <= 0 ? '' : label.length <= room ? label : `…${label.slice(label.length - room + 1)}`;
  return `${name}  ${facts}`.slice(0, columns);
}

export class Progress {
  readonly #terminal: ProgressTerminal;
  readonly #enabled: boolean;
  readonly #now: () => number;
  #label = '';
  #total: number | undefined;
  #done = 0;
  #started = 0;
  #drawn = -Infinity;
  #totalBytes = 0;
  #files = 0;
  readonly #begun: number;

  /** Draws only when `terminal` is a TTY and not quiet; `now` is milliseconds (injectable for tests). */
  constructor(terminal: ProgressTerminal, quiet: boolean, now: () => number = () => performance.now()) {
    this.#terminal = terminal;
    this.#enabled = terminal.isTTY === true && !quiet;
    this.#now = now;
    this.#begun = now();
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** A file starts: `total` bytes, when known (not for a pipe). */
  start(label: string, total: number | undefined): void {
    this.#label = label;
    this.#total = total;
    this.#done = 0;
    this.#started = this.#now();
    this.#drawn = -Infinity;
    this.#draw(false);
  }

  /** `n` more bytes of the current file were read. */
  add(n: number): void {
    this.#done += n;
    if (!this.#enabled) return;
    if (this.#now() - this.#drawn >= REDRAW_MS) this.#draw(false);
  }

  /** The current file is done (or failed): its line is drawn a last time and kept. */
  finish(ok: boolean): void {
    this.#totalBytes += this.#done;
    if (ok) this.#files++;
    this.#draw(true, ok ? '' : '  FAILED');
  }

  /** The summary line, e.g. `encrypted 3 files, 1.2 MiB in 0:01 (1.0 MiB/s)`. */
  summary(verb: string, failed: number): void {
    if (!this.#enabled) return;
    const seconds = (this.#now() - this.#begun) / 1000;
    const rate = seconds > 0 ? this.#totalBytes / seconds : 0;
    const files = `${this.#files} file${this.#files === 1 ? '' : 's'}`;
    const failures = failed > 0 ? `, ${failed} failed` : '';
    this.#terminal.write(
      `${verb} ${files}${failures}, ${formatBytes(this.#totalBytes)} in ${formatDuration(seconds)} (${formatBytes(Math.round(rate))}/s)\n`,
    );
  }

  #draw(last: boolean, note = ''): void {
    if (!this.#enabled) return;
    this.#drawn = this.#now();
    const columns = Math.max(20, (this.#terminal.columns || 80) - 1); // 0 when the terminal does not say
    const line = progressLine(this.#label, this.#done, this.#total, (this.#drawn - this.#started) / 1000, columns - note.length) + note;
    // \r and "erase to end of line" (ECMA-48 EL): the line is redrawn in place.
    this.#terminal.write(`\r${line}\x1b[K${last ? '\n' : ''}`);
  }
}
