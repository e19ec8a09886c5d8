/** The wire side of the fl module: parameters, updates, versions (re-exported by src/fl/index.ts). */
export { type DeltaEncoderState, decodeDelta, encodeDelta, newDeltaEncoderState } from './delta.js';
export {
  bytesToFloat32,
  decodeParameters,
  encodeParameters,
  flattenParams,
  float32ToBytes,
  loadParams,
  paramSizes,
} from './parameters.js';
export { fromUpdateMessage, toUpdateMessage } from './update.js';
export { PROTOCOL_VERSION } from './version.js';
export { bytesFromWords, wordsFromBytes } from './words.js';
