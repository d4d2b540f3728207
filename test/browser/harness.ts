/**
 * Real-browser test support: a static server for the repository on 127.0.0.1 (with or without the COOP/COEP
 * headers that make a page cross-origin isolated, which wasm threads need) and Debian's Chromium driven by
 * playwright-core (which downloads no browser). Each test starts and closes its own server and browser.
 */
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve } from "node:path";
import { chromium, type Browser } from "playwright-core";

export const ROOT = resolve(import.meta.dirname, "../..");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const BUNDLE = join(ROOT, "dist/browser/exodus-snn.js");

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css",
  ".wasm": "application/wasm", ".json": "application/json", ".map": "application/json", ".gz": "application/gzip",
  ".png": "image/png", ".svg": "image/svg+xml",
};

/** Why the browser tests cannot run here, or null. Outside CI a missing Chromium skips them; in CI it fails. */
export function missing(): string | null {
  if (!existsSync(CHROMIUM)) {
    const why = `no Chromium at ${CHROMIUM}: run .ci/setup-system (apt-get install chromium) or set CHROMIUM_PATH`;
    if (process.env.CI) throw new Error(why);
    return why;
  }
  if (!existsSync(BUNDLE)) throw new Error(`no browser bundle at ${BUNDLE}: run 'npm run build' first`);
  return null;
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves files under `root` (default: the repository); `isolated` adds COOP/COEP. */
export async function serve(opts: { isolated: boolean; root?: string }): Promise<StaticServer> {
  const root = opts.root ?? ROOT;
  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname));
    let file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file)) {
      res.writeHead(404).end("not found");
      return;
    }
    if (statSync(file).isDirectory()) file = join(file, "index.html");
    const headers: Record<string, string> = { "content-type": MIME[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" };
    if (opts.isolated) {
      headers["cross-origin-opener-policy"] = "same-origin";
      headers["cross-origin-embedder-policy"] = "require-corp";
    }
    res.writeHead(200, headers);
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

/** Flags that keep Chromium off the (closed) network and the GPU; `webgpu` adds the SwiftShader WebGPU adapter. */
export function chromiumArgs(webgpu = false): string[] {
  const args = [
    "--headless", "--no-sandbox", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
  ];
  return webgpu ? [...args, "--enable-unsafe-webgpu"] : [...args, "--disable-gpu"];
}

export async function launch(webgpu = false): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: chromiumArgs(webgpu) });
}
