/**
 * GeoIP and ASN enrichment before detection: for each ECS address field holding a public
 * address, adds `<field>.geo.*` (country, region, city, coordinates) and `<field>.as.*` (number,
 * organisation), so rules such as "first login from a new country" and impossible travel can read
 * them. Fields the source already set are never overwritten: a shipper's own GeoIP wins.
 */
import type { Event, FieldValue, Fields } from '../../core/event.js';
import { formatIPv4, isPublicAddress, parseIp } from '../../core/ip-networks.js';
import type { Enricher } from '../../core/stage.js';
import { AsnDatabase } from './asn-database.js';
import { GeoDatabase } from './geo-database.js';
import { LookupCache } from './lookup-cache.js';

/** The ECS fields that hold one address each; `<f>.geo` and `<f>.as` sit beside them. */
export const ADDRESS_FIELDS = ['source.ip', 'destination.ip', 'client.ip', 'server.ip'] as const;

export interface GeoIpOptions {
  /** An operator's City-layout .mmdb instead of the bundled DB-IP City Lite. */
  readonly city?: string | undefined;
  /** An operator's ASN-layout .mmdb instead of the bundled ip-location-db ASN data. */
  readonly asn?: string | undefined;
  /** Distinct addresses remembered; default 50,000 (a few MB). */
  readonly cacheSize?: number;
}

/** Field suffixes and values to add under an address field's parent (`source`). */
type Additions = readonly (readonly [suffix: string, value: FieldValue])[];

const NOTHING: Additions = [];

export class GeoIpEnricher implements Enricher {
  readonly name = 'geoip';
  readonly #geo: GeoDatabase;
  readonly #asn: AsnDatabase;
  readonly #cache: LookupCache<Additions>;

  constructor(geo: GeoDatabase, asn: AsnDatabase, cacheSize = 50_000) {
    this.#geo = geo;
    this.#asn = asn;
    this.#cache = new LookupCache(cacheSize);
  }

  /**
   * Opens the databases once. Operator files are read now, so a wrong path fails the start
   * naming its key; bundled data is read on the first address of each family that needs it.
   */
  static open(options: GeoIpOptions = {}): GeoIpEnricher {
    const geo = options.city ? GeoDatabase.fromFile(options.city, 'enrich.geoip.city') : GeoDatabase.bundled();
    const asn = options.asn ? AsnDatabase.fromFile(options.asn, 'enrich.geoip.asn') : AsnDatabase.bundled();
    return new GeoIpEnricher(geo, asn, options.cacheSize);
  }

  /** Which data answers, for the start-up log. */
  get description(): string {
    return `${this.#geo.description}; ${this.#asn.description}`;
  }

  enrich(batch: readonly Event[]): readonly Event[] {
    let out: Event[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const event = batch[i]!;
      const enriched = this.enrichEvent(event);
      if (enriched !== event) {
        out ??= batch.slice();
        out[i] = enriched;
      }
    }
    return out ?? batch;
  }

  /** The event with GeoIP fields added, or the same event when there is nothing to add. */
  enrichEvent(event: Event): Event {
    let fields: Fields | undefined;
    for (const field of ADDRESS_FIELDS) {
      const value = event.fields[field];
      if (typeof value !== 'string') continue;
      const additions = this.additionsFor(value);
      if (additions.length === 0) continue;
      const parent = field.slice(0, -3); // 'source.ip' → 'source'
      for (const [suffix, v] of additions) {
        const name = `${parent}.${suffix}`;
        if (name in event.fields) continue;
        fields ??= { ...event.fields };
        fields[name] = v;
      }
    }
    return fields ? { ...event, fields } : event;
  }

  /** What an address adds (cached); nothing for text that is not a public address. */
  additionsFor(address: string): Additions {
    const cached = this.#cache.get(address);
    if (cached) return cached;
    const additions = this.#lookup(address);
    this.#cache.set(address, additions);
    return additions;
  }

  #lookup(address: string): Additions {
    const ip = parseIp(address.trim());
    if (!ip || !isPublicAddress(ip)) return NOTHING;
    // ::ffff:8.8.8.8 was parsed as IPv4; the readers want its dotted form.
    const text = ip.v === 4 ? formatIPv4(ip.n) : address.trim();
    const out: [string, FieldValue][] = [];
    const place = this.#geo.lookup(ip, text);
    if (place) {
      if (place.countryIsoCode) out.push(['geo.country_iso_code', place.countryIsoCode]);
      if (place.countryName) out.push(['geo.country_name', place.countryName]);
      if (place.regionName) out.push(['geo.region_name', place.regionName]);
      if (place.cityName) out.push(['geo.city_name', place.cityName]);
      if (place.lat !== undefined && place.lon !== undefined) {
        out.push(['geo.location.lat', place.lat], ['geo.location.lon', place.lon]);
      }
    }
    const as = this.#asn.lookup(ip, text);
    if (as) {
      out.push(['as.number', as.number]);
      if (as.organization) out.push(['as.organization.name', as.organization]);
    }
    return out.length === 0 ? NOTHING : out;
  }
}
