// The file commands' progress bar, drawn on a stand-in terminal with a stand-in clock.
import { describe, expect, it } from 'vitest';
import { Progress, formatBytes, formatDuration, progressLine } from '../../src/cli/progress.js';

function terminal(isTTY: boolean, columns = 100) {
  const written: string[] = [];
  return { isTTY, columns, write: (t: string) => written.push(t), written };
}

describe('progress', () => {
  it('formats bytes and durations', () => {
    expect([formatBytes(0), formatBytes(1023), formatBytes(1024), formatBytes(1536), formatBytes(5 * 1024 ** 3)]).toEqual([
      '0 B',
      '1023 B',
      '1.0 KiB',
      '1.5 KiB',
      '5.0 GiB',
    ]);
    expect([formatDuration(0), formatDuration(59.4), formatDuration(75), formatDuration(3700)]).toEqual([
      '0:00',
      '0:59',
      '1:15',
      '1:01:40',
    ]);
  });

  it('a line: bar, percent, bytes, rate and ETA; a pipe (no total): bytes and rate', () => {
    expect(progressLine('a.bin', 512 * 1024, 1024 * 1024, 1, 100)).toBe(
      'a.bin  [##########..........]  50%  512.0 KiB/1.0 MiB  512.0 KiB/s  ETA 0:01',
    );
    expect(progressLine('stdin', 2048, undefined, 2, 100)).toBe('stdin  2.0 KiB  1.0 KiB/s');
    expect(progressLine('a.bin', 0, 100, 0, 100)).toContain('ETA -:--');
    // A long name is cut from the left so the facts stay; the line never exceeds the width.
    const line = progressLine(`${'d/'.repeat(50)}file.bin`, 10, 100, 1, 80);
    expect(line.length).toBeLessThanOrEqual(80);
    expect(line).toMatch(/^….*file\.bin {2}\[/);
  });

  it('draws on a TTY, at most every 100 ms, keeps one line per file, and sums up', () => {
    let now = 0;
    const t = terminal(true);
    const p = new Progress(t, false, () => now);
    p.start('a.bin', 1000);
    p.add(100);
    now = 50;
    p.add(100); // within 100 ms of the last draw: not drawn
    now = 150;
    p.add(100);
    p.finish(true);
    expect(t.written.length).toBe(3); // start, the 150 ms redraw, the final line
    expect(t.written.every((w) => w.startsWith('\r') && w.includes('\x1b[K'))).toBe(true);
    expect(t.written[2]!.endsWith('\n')).toBe(true);
    expect(t.written[1]!).toContain(' 30%');
    p.start('b.bin', 10);
    p.finish(false);
    expect(t.written.at(-1)).toMatch(/b\.bin.* {2}FAILED\x1b\[K\n$/);
    now = 2000;
    p.summary('encrypted', 1);
    expect(t.written.at(-1)).toBe('encrypted 1 file, 1 failed, 300 B in 0:02 (150 B/s)\n');
  });

  it('a terminal that does not say its width (0) gets 80 columns, not a cut-off bar', () => {
    const t = terminal(true, 0);
    new Progress(t, false, () => 0).start('file.bin', 100);
    expect(t.written).toEqual(['\rfile.bin  [....................]   0%  0 B/100 B  0 B/s  ETA -:--\x1b[K']);
  });

  it('silent when not a TTY, or with --quiet', () => {
    for (const [isTTY, quiet] of [
      [false, false],
      [true, true],
    ] as const) {
      const t = terminal(isTTY);
      const p = new Progress(t, quiet, () => 0);
      p.start('a', 10);
      p.add(10);
      p.finish(true);
      p.summary('encrypted', 0);
      expect(t.written).toEqual([]);
      expect(p.enabled).toBe(false);
    }
  });
});
