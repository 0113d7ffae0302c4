/** Windows EVTX: decoding of `.evtx` files into evtx_dump-shaped JSON, and Sigma's native field names. */
export { decodeEvtx, type EvtxDecodeResult, type EvtxDamage, type EvtxRecord, type JsonTree, type JsonValue } from './evtx-decoder.js';
export { evtxNativeFields } from './evtx-native-fields.js';
