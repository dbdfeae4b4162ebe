// The worker's message protocol for ES modules: the request and event names as constants, and the
// transfer list of a message. The declaration itself is web/worker/protocol.js (a classic script,
// so that the worker can importScripts it); importing it here defines self.CnnProtocol once.
import '../worker/protocol.js';

const P = globalThis.CnnProtocol;
export const REQ = P.REQ;
export const EVENT = P.EVENT;
export const TYPES = P.types;
export const transferables = P.transferables;
