/**
 * How Vigil presents itself to Elasticsearch clients. Shippers (Filebeat, Winlogbeat, Logstash,
 * Vector, Fluent Bit) and the official clients check the version in `GET /`, the license, and
 * since 7.14 the `X-Elastic-Product: Elasticsearch` header on 2xx replies.
 */
import type { FastifyReply } from 'fastify';
import type { VigilError } from '../../core/errors.js';
import { errorBody } from './http-errors.js';

/** The Elasticsearch version Vigil reports; beats newer than this need `allow_older_versions`. */
export const ELASTIC_VERSION = {
  number: '8.17.0',
  build_flavor: 'default',
  build_type: 'vigil',
  build_hash: 'vigil',
  build_date: '2024-12-11T12:08:05.663969764Z',
  build_snapshot: false,
  lucene_version: '9.12.0',
  minimum_wire_compatibility_version: '7.17.0',
  minimum_index_compatibility_version: '7.0.0',
} as const;

export const CLUSTER_NAME = 'vigil';
/** Stable per process is enough: clients only compare it between calls. */
export const CLUSTER_UUID = 'vigil-000000000000000000';

export function setElasticHeaders(reply: FastifyReply): void {
  reply.header('x-elastic-product', 'Elasticsearch');
}

function errorType(error: VigilError): string {
  switch (error.code) {
    case 'unauthorized':
    case 'forbidden':
      return 'security_exception';
    case 'payload-too-large':
      return 'content_too_long_exception';
    case 'not-found':
      return 'resource_not_found_exception';
    case 'overloaded':
      return 'es_rejected_execution_exception';
    case 'bad-request':
    case 'query-invalid':
      return 'illegal_argument_exception';
    default:
      return 'exception';
  }
}

/**
 * Elasticsearch's error shape (`error.type`, `error.reason`, `status`) with Vigil's uniform
 * `error.code`, `error.message`, `error.where` alongside.
 */
export function elasticErrorBody(error: VigilError): unknown {
  const type = errorType(error);
  const reason = error.message;
  return {
    error: { root_cause: [{ type, reason }], type, reason, ...errorBody(error).error },
    status: error.status,
  };
}

/** ES answers 401 with a Basic challenge; clients that do not send credentials preemptively need it. */
export function setElasticChallenge(reply: FastifyReply): void {
  reply.header('www-authenticate', ['Basic realm="vigil" charset="UTF-8"', 'ApiKey']);
}
