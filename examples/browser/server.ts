/**
 * The browser example's local "upload" endpoint and static server. Run: npx tsx examples/browser/server.ts
 * It bundles app.ts (with kmsbox, for the browser) on start and keeps what is uploaded in memory.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = (f: string): string => fileURLToPath(new URL(f, import.meta.url));

export interface ExampleServer {
  url: string;
  uploads: Buffer[];
  close(): Promise<void>;
}

export async function startExampleServer(port = 0): Promise<ExampleServer> {
  const bundled = await build({
    entryPoints: [here('./app.ts')],
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    alias: { kmsbox: here('../../src/index.ts') },
    logLevel: 'silent',
  });
  const appJs = bundled.outputFiles[0]!.text;
  const html = readFileSync(here('./index.html'));
  const uploads: Buffer[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/upload') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        uploads.push(Buffer.concat(chunks));
        res.writeHead(204).end();
      });
      return;
    }
    if (req.url === '/' || req.url === '/index.html') res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    else if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(appJs);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}/`,
    uploads,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const s = await startExampleServer(Number(process.env.PORT ?? 8080));
  console.log(`open ${s.url} and choose a file; uploads are kept in memory`);
}
