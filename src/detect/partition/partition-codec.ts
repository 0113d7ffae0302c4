/**
 * Text form of partition records and checkpoints: JSON, except that ±Infinity and NaN (an
 * empty window's bounds, a size that was not a number) survive the round trip, which plain
 * JSON turns into null. Readable in a message browser or a database column, and independent
 * of the Node.js version (unlike v8.serialize).
 */
const NON_FINITE = '$num';

export function encodePartitionData(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? { [NON_FINITE]: String(v) } : v));
}

export function decodePartitionData<T>(text: string): T {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const special = (v as Record<string, unknown>)[NON_FINITE];
      if (typeof special === 'string' && Object.keys(v).length === 1) return Number(special);
    }
    return v;
  }) as T;
}
