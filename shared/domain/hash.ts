/** A small, stable, non-cryptographic hash for keys that must come out the same on every run and machine. */

const encoder = new TextEncoder();

/**
 * FNV-1a (32-bit) of the UTF-8 bytes of `text`, as an unsigned integer. Stable across runtimes and versions,
 * so it may be stored (rule SIDs, idempotency keys, shard numbers); not for anything secret.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}
