/**
 * Loads @peculiar/x509 on first use, after its Reflect metadata polyfill (tsyringe, the library's dependency
 * injection, throws at import time without it). The same loader as transport's (src/transport/tls/x509.ts), kept
 * here because attest may import only core and crypto. Dynamic imports, in that order: a static import of the
 * library could be hoisted above the polyfill by import sorting. Nothing happens at import time of this file.
 */
import type * as X509 from '@peculiar/x509';

/** The @peculiar/x509 module namespace. */
export type X509Module = typeof X509;

/**
 * The @peculiar/x509 module, loaded after its Reflect polyfill. Node's module cache makes later calls cheap.
 * @throws the module loader's error when either package is missing
 * @example const x509 = await loadX509(); new x509.X509Certificate(pem).subject;
 */
export async function loadX509(): Promise<X509Module> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}
