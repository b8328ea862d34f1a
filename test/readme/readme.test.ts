// Keeps README.md from rotting: every ```ts and ```sh block is type-checked and run as a reader would
// run it, unless an HTML comment right before its fence says otherwise:
//   <!-- readme-test: typecheck-only (why) -->   type-checked, not run
//   <!-- readme-test: skip (why) -->             neither (a reason is required)
//   <!-- readme-test: given kms, Message -->     names the block uses without defining them (GIVENS below)
// TypeScript blocks import `kmsbox` as users do; it resolves to src/ through tsconfig.json's paths. Shell
// blocks run in bash with `set -euo pipefail`, `npx kmsbox` being this repository's CLI (src/cli.ts
// bundled, as test/cli runs it) and `aws` the real AWS CLI; `127.0.0.1:4000` is replaced by a free port.
import { typeErrors, writeTsconfig } from './typecheck.js';
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Kms } from 'kmsbox';
import { startServer, type RunningServer } from 'kmsbox/node';
import { cliBundle } from '../cli/cli-bundle.js';

// Generous bounds that only catch a hang (2 shared cores; a passphrase store runs scrypt per command).
const BLOCK_TIMEOUT = 300_000;

const root = new URL('../..', import.meta.url).pathname;
const generated = join(root, 'test/readme/.generated');
const tsxLoader = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const run = promisify(execFile);

/** Names a block may take as given: their type (for tsc) and, for blocks that run, a value. */
const GIVENS: Record<string, { type: string; value: string }> = {
  kms: {
    type: "import('kmsbox').Kms",
    // A Kms with the alias the README's examples use.
    value: `await (async () => {
      const k = new (await import('kmsbox')).Kms();
      const { KeyMetadata } = await k.createKey({});
      await k.createAlias({ AliasName: 'alias/myapp-key', TargetKeyId: KeyMetadata!.KeyId! });
      return k;
    })()`,
  },
  Plaintext: { type: 'Uint8Array', value: "new TextEncoder().encode('MySecretPassword123')" },
  Message: { type: 'Uint8Array', value: "new TextEncoder().encode('message')" },
  data: { type: 'Uint8Array', value: "new TextEncoder().encode('data')" },
  CiphertextBlob: {
    type: 'Uint8Array',
    value:
      "(await kms.encrypt({ KeyId: 'alias/myapp-key', Plaintext: new Uint8Array(3), EncryptionContext: { tenant: 't1' } })).CiphertextBlob!",
  },
  ship: { type: '(event: unknown) => void', value: '() => {}' },
  myAes256Key: { type: 'Uint8Array', value: 'crypto.getRandomValues(new Uint8Array(32))' },
  KeyId: { type: 'string', value: '(await kms.createKey({})).KeyMetadata!.KeyId!' },
};

export type Mode = 'run' | 'typecheck-only' | 'skip';
export interface Block {
  lang: 'ts' | 'sh';
  line: number; // of the opening fence, 1-based
  code: string;
  mode: Mode;
  reason: string;
  given: string[];
}

const MARKER = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;

/** Every ```ts and ```sh block of a Markdown text, with the marker before its fence. */
export function extractBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    if (end < 0) throw new Error(`README.md:${i + 1}: unclosed fence`);
    const lang = open[1];
    if (lang === 'ts' || lang === 'sh') {
      const marker = MARKER.exec((lines[i - 1] ?? '').trim());
      const block: Block = { lang, line: i + 1, code: lines.slice(i + 1, end).join('\n'), mode: 'run', reason: '', given: [] };
      if (marker) parseMarker(marker[1]!, block);
      blocks.push(block);
    }
    i = end;
  }
  return blocks;
}

function parseMarker(text: string, block: Block): void {
  const m = /^(?:(typecheck-only|skip)\s*(?:\((.+)\))?)?\s*;?\s*(?:given\s+([\w\s,]+))?$/.exec(text);
  if (!m || (!m[1] && !m[3])) throw new Error(`README.md:${block.line}: unreadable marker "${text}"`);
  block.mode = (m[1] as Mode | undefined) ?? 'run';
  block.reason = m[2] ?? '';
  block.given = m[3]
    ? m[3]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  if (block.mode === 'skip' && !block.reason) throw new Error(`README.md:${block.line}: a skip needs a reason`);
  for (const g of block.given) if (!GIVENS[g]) throw new Error(`README.md:${block.line}: unknown given "${g}"`);
}

const fileOf = (b: Block) => join(generated, `block-line-${b.line}.ts`);

/** The block as a module: its givens declared (type-check only) or defined (run), then the block. */
function moduleOf(b: Block): string {
  const givens = b.given.map((g) =>
    b.mode === 'run' ? `const ${g}: ${GIVENS[g]!.type} = ${GIVENS[g]!.value};` : `declare const ${g}: ${GIVENS[g]!.type};`,
  );
  return [`// README.md line ${b.line} (generated by test/readme/readme.test.ts)`, ...givens, b.code, 'export {};', ''].join('\n');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Runs a command in its own process group, killed as a whole afterwards (a block's server included). */
function runGroup(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string }) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => kill(), BLOCK_TIMEOUT - 10_000);
    const kill = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    // When the block's shell exits, kill what it left running in the background (a server started with
    // `&` keeps the stderr pipe open, so 'close' would not come before that).
    child.on('exit', kill);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = extractBlocks(readme);

describe('extractBlocks', () => {
  it('reads markers, reasons and givens, and refuses a skip without a reason or an unknown given', () => {
    const md = [
      '```ts',
      'a',
      '```',
      '<!-- readme-test: typecheck-only (needs x) given kms, Message -->',
      '```sh',
      'b',
      '```',
      '```json',
      '{}',
      '```',
      '<!-- readme-test: skip (fragment) -->',
      '```ts',
      'c',
      '```',
    ].join('\n');
    expect(extractBlocks(md)).toEqual([
      { lang: 'ts', line: 1, code: 'a', mode: 'run', reason: '', given: [] },
      { lang: 'sh', line: 5, code: 'b', mode: 'typecheck-only', reason: 'needs x', given: ['kms', 'Message'] },
      { lang: 'ts', line: 12, code: 'c', mode: 'skip', reason: 'fragment', given: [] },
    ]);
    expect(() => extractBlocks('<!-- readme-test: skip -->\n```ts\n```')).toThrow('a skip needs a reason');
    expect(() => extractBlocks('<!-- readme-test: given nope -->\n```ts\n```')).toThrow('unknown given "nope"');
    expect(() => extractBlocks('<!-- readme-test: sometimes -->\n```ts\n```')).toThrow('unreadable marker');
  });

  it('finds the README blocks', () => {
    expect(blocks.filter((b) => b.lang === 'ts').length).toBeGreaterThan(10);
    expect(blocks.filter((b) => b.lang === 'sh').length).toBeGreaterThan(2);
    expect(blocks.filter((b) => b.lang === 'sh' && b.mode === 'typecheck-only')).toEqual([]); // no such thing for a shell block
  });
});

describe('README.md TypeScript blocks', () => {
  const ts = blocks.filter((b) => b.lang === 'ts' && b.mode !== 'skip');

  beforeAll(() => {
    rmSync(generated, { recursive: true, force: true });
    mkdirSync(generated, { recursive: true });
    for (const b of ts) writeFileSync(fileOf(b), moduleOf(b));
    writeTsconfig(generated, { noUnusedLocals: false, noUnusedParameters: false });
  });

  it(
    "type-check under the project's strict options",
    async () => {
      // Name each error by its README line: block-line-N.ts line L is README line N + L - 1 - given count.
      const errors = (await typeErrors(generated)).map((l) => {
        const m = /block-line-(\d+)\.ts\((\d+),\d+\): (.*)/.exec(l);
        if (!m) return l;
        const b = ts.find((x) => x.line === Number(m[1]))!;
        return `README.md:${b.line + Number(m[2]) - 1 - b.given.length}: ${m[3]}`;
      });
      expect(errors).toEqual([]);
    },
    BLOCK_TIMEOUT,
  );

  for (const b of ts.filter((x) => x.mode === 'run')) {
    it(
      `run: the block at README.md:${b.line}`,
      async () => {
        const cwd = mkdtempSync(join(tmpdir(), 'kmsbox-readme-'));
        try {
          const r = await runGroup(process.execPath, ['--import', tsxLoader, fileOf(b)], {
            cwd, // files the block writes land here
            env: {
              ...process.env,
              NODE_OPTIONS: '',
              TSX_TSCONFIG_PATH: join(root, 'tsconfig.json'),
              KMSBOX_PASSPHRASE: 'readme test passphrase',
            },
          });
          expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0); // stderr may hold warnings (the AWS SDK's on Node 20)
        } finally {
          rmSync(cwd, { recursive: true, force: true });
        }
      },
      BLOCK_TIMEOUT,
    );
  }
});

describe('README.md shell blocks', () => {
  let bin: string;
  let server: RunningServer;

  beforeAll(async () => {
    // `npx kmsbox …` is this repository's CLI; any other npx is the real one.
    bin = mkdtempSync(join(tmpdir(), 'kmsbox-readme-bin-'));
    const realNpx = (await run('bash', ['-c', 'command -v npx'], { encoding: 'utf8' })).stdout.trim();
    writeFileSync(
      join(bin, 'npx'),
      `#!/bin/sh\nif [ "$1" = kmsbox ]; then shift; exec "${process.execPath}" "${cliBundle}" "$@"; fi\nexec "${realNpx}" "$@"\n`,
    );
    chmodSync(join(bin, 'npx'), 0o755);
    // For blocks that talk to a running `kmsbox serve` without starting one.
    server = await startServer(new Kms(), { port: 0 });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(bin, { recursive: true, force: true });
  });

  for (const b of blocks.filter((x) => x.lang === 'sh' && x.mode === 'run')) {
    it(
      `run: the block at README.md:${b.line}`,
      async () => {
        const startsServer = /kmsbox serve --port 4000/.test(b.code);
        const port = startsServer ? await freePort() : server.port;
        const script = `set -euo pipefail\n${b.code.replaceAll('127.0.0.1:4000', `127.0.0.1:${port}`).replaceAll('--port 4000', `--port ${port}`)}\n`;
        const cwd = mkdtempSync(join(tmpdir(), 'kmsbox-readme-'));
        try {
          const r = await runGroup('bash', ['-c', script], {
            cwd,
            env: {
              ...process.env,
              NODE_OPTIONS: '',
              PATH: `${bin}:${process.env.PATH}`,
              AWS_CONFIG_FILE: '/dev/null',
              AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
              AWS_PAGER: '',
            },
          });
          expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0); // stderr may hold warnings (the AWS SDK's on Node 20)
          if (b.code.includes(' decrypt ')) {
            expect(r.stdout).toContain('MySecretPassword123');
          }
        } finally {
          rmSync(cwd, { recursive: true, force: true });
        }
      },
      BLOCK_TIMEOUT,
    );
  }
});
