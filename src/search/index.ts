/** The search language: text → query tree and pipes, the time bounds of a search, and running it. */
export { parseQuery, parseQueryFilter, MAX_QUERY_LENGTH, MAX_QUERY_DEPTH } from './query-parser.js';
export { planQuery, runQuery, cellOf, DEFAULT_TABLE_ROWS, type QueryPlan, type QueryOutput, type QueryScope } from './query-plan.js';
export { parseTime } from './time-parser.js';
export { FIELD_NAME } from './query-tokens.js';
