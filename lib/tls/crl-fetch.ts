/**
 * Fetching a CRL from a certificate's distribution point over plain HTTP (RFC 5280 §4.2.1.13: CRLs are
 * signed, so they need no TLS; https: points are not fetched). The peer is whatever the certificate
 * names, so everything is bounded: one GET, no redirects, a size cap checked against Content-Length
 * and again while reading, and a time limit for the whole exchange.
 */
import { get, type ClientRequest } from 'node:http';

/** Largest CRL taken: large public CAs publish CRLs of a few MiB; more is refused rather than buffered. */
export const MAX_CRL_BYTES = 8 * 1024 * 1024;

/** Fetches `url`; resolves with the body, rejects with an Error saying why in a few words. */
export function fetchCrl(url: string, timeoutMs: number, maxBytes = MAX_CRL_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let request: ClientRequest;
    let settled = false;
    const finish = (error: Error | null, body?: Buffer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      if (error) reject(error);
      else resolve(body!);
    };
    const timer = setTimeout(() => finish(new Error(`no answer within ${timeoutMs} ms`)), Math.max(1, timeoutMs));
    timer.unref?.();
    try {
      request = get(url, { headers: { accept: 'application/pkix-crl, */*' }, agent: false }, (response) => {
        const status = response.statusCode ?? 0;
        if (status !== 200) return finish(new Error(`HTTP status ${status}`));
        const announced = Number(response.headers['content-length']);
        if (announced > maxBytes) return finish(new Error(`${announced} bytes is more than the ${maxBytes}-byte limit`));
        const parts: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) return finish(new Error(`more than the ${maxBytes}-byte limit`));
          parts.push(chunk);
        });
        response.on('end', () => finish(null, Buffer.concat(parts, size)));
        response.on('error', (error) => finish(error));
      });
    } catch (error) {
      // An URL node:http refuses outright (bad host, bad characters).
      settled = true;
      clearTimeout(timer);
      return reject(error as Error);
    }
    request.on('error', (error) => finish(error));
  });
}
