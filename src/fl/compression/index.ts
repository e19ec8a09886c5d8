/** Update compression of the fl module (re-exported by src/fl/index.ts). */
export { type EncodedUpdate, encodedBytes } from './encoded-bytes.js';
export {
  dequantize,
  packedLength,
  packLevels,
  type QuantizationBits,
  type QuantizedVector,
  type QuantizeOptions,
  quantize,
  unpackLevels,
} from './quantize.js';
export { densify, type SparseVector, TopKCompressor } from './top-k.js';
