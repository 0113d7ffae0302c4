/** The search language: text → query tree, and the time bounds of a search. */
export { parseQuery, MAX_QUERY_LENGTH, MAX_QUERY_DEPTH } from './query-parser.js';
export { parseTime } from './time-parser.js';
export { FIELD_NAME } from './query-tokens.js';
