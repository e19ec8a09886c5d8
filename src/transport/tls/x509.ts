/**
 * Loads @peculiar/x509 on first use. The library's dependency injection (tsyringe) throws at import time unless
 * the Reflect metadata polyfill is installed first, so `reflect-metadata` (the polyfill tsyringe documents) is
 * imported before the library, in that order, by dynamic imports: a static import of the library could be
 * hoisted above the polyfill by import sorting. Nothing happens at import time of this file.
 */
import type * as X509 from '@peculiar/x509';

/** The @peculiar/x509 module namespace. */
export type X509Module = typeof X509;

/** The @peculiar/x509 module, loaded after its Reflect polyfill. Node's module cache makes later calls cheap. */
export async function loadX509(): Promise<X509Module> {
  await import('reflect-metadata');
  return import('@peculiar/x509');
}
