/**
 * The IDX file format of MNIST and Fashion-MNIST (http://yann.lecun.com/exdb/mnist/): a 4-byte magic number
 * `0x00 0x00 <type> <ndims>`, `ndims` big-endian uint32 dimensions, then the values in row-major order,
 * big-endian. Labels are `0x00000801` (uint8, one dimension), images `0x00000803` (uint8, three dimensions).
 * Files may be gzip'd (detected by content, not by name).
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ConfigError, InvalidParameterError } from '../../core/index.js';
import { errorCode } from './domain.js';

/** The element types IDX defines. */
export type IdxDataType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array of each element type. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX array: element type, dimensions and row-major values. */
export interface IdxArray {
  readonly dataType: IdxDataType;
  readonly dims: readonly number[];
  readonly data: IdxData;
}

interface TypeInfo {
  readonly code: number;
  readonly bytes: number;
  readonly make: (n: number) => IdxData;
  readonly read: (view: DataView, at: number) => number;
  readonly write: (view: DataView, at: number, x: number) => void;
}

const TYPES: Readonly<Record<IdxDataType, TypeInfo>> = {
  uint8: {
    code: 0x08,
    bytes: 1,
    make: (n) => new Uint8Array(n),
    read: (v, a) => v.getUint8(a),
    write: (v, a, x) => v.setUint8(a, x),
  },
  int8: {
    code: 0x09,
    bytes: 1,
    make: (n) => new Int8Array(n),
    read: (v, a) => v.getInt8(a),
    write: (v, a, x) => v.setInt8(a, x),
  },
  int16: {
    code: 0x0b,
    bytes: 2,
    make: (n) => new Int16Array(n),
    read: (v, a) => v.getInt16(a),
    write: (v, a, x) => v.setInt16(a, x),
  },
  int32: {
    code: 0x0c,
    bytes: 4,
    make: (n) => new Int32Array(n),
    read: (v, a) => v.getInt32(a),
    write: (v, a, x) => v.setInt32(a, x),
  },
  float32: {
    code: 0x0d,
    bytes: 4,
    make: (n) => new Float32Array(n),
    read: (v, a) => v.getFloat32(a),
    write: (v, a, x) => v.setFloat32(a, x),
  },
  float64: {
    code: 0x0e,
    bytes: 8,
    make: (n) => new Float64Array(n),
    read: (v, a) => v.getFloat64(a),
    write: (v, a, x) => v.setFloat64(a, x),
  },
};

const BY_CODE = new Map(Object.entries(TYPES).map(([name, info]) => [info.code, name as IdxDataType]));

/** Refuse arrays above 2^31 elements: no real IDX file is that big, and a corrupt header could claim it. */
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Decodes IDX bytes (gzip'd or raw) after checking the magic number, the element type, the header length, every
 * dimension and that the data is exactly as long as the dimensions say.
 * @param bytes the file's content
 * @param source what error messages call the file (default `'IDX data'`)
 * @throws {ConfigError} VEIL_CONFIG_INVALID naming what is wrong (`gzip`, `magic`, `header`, `dims[1]`, `length`)
 * @example const { dims, data } = parseIdx(readFileSync('train-labels-idx1-ubyte.gz'));
 */
export function parseIdx(bytes: Uint8Array, source = 'IDX data'): IdxArray {
  let raw = bytes;
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      raw = gunzipSync(bytes);
    } catch (error) {
      bad(source, 'gzip', errorCode(error), 'a complete gzip stream (the file is truncated or corrupt)');
    }
  }
  if (raw.length < 4) bad(source, 'header', `${raw.length} bytes`, 'at least the 4-byte magic number');
  const magic = (raw[0]! << 24) | (raw[1]! << 16) | (raw[2]! << 8) | raw[3]!;
  const dataType = BY_CODE.get(raw[2]!);
  if (raw[0] !== 0 || raw[1] !== 0 || dataType === undefined || raw[3] === 0) {
    bad(
      source,
      'magic',
      hex(magic),
      'an IDX magic number 0x0000TTDD (TT a type code 08/09/0B/0C/0D/0E, DD >= 1 dims)',
    );
  }
  const ndims = raw[3]!;
  const headerBytes = 4 + 4 * ndims;
  if (raw.length < headerBytes) {
    bad(source, 'header', `${raw.length} bytes`, `at least ${headerBytes} bytes for ${ndims} dimensions`);
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const dims: number[] = [];
  let count = 1;
  for (let d = 0; d < ndims; d++) {
    const size = view.getUint32(4 + 4 * d);
    if (size < 1) bad(source, `dims[${d}]`, size, 'an integer >= 1');
    dims.push(size);
    count *= size;
    if (count > MAX_ELEMENTS)
      bad(source, `dims[${d}]`, size, `dimensions with at most ${MAX_ELEMENTS} elements in all`);
  }
  const info = TYPES[dataType];
  const expected = headerBytes + count * info.bytes;
  if (raw.length !== expected) {
    bad(
      source,
      'length',
      `${raw.length} bytes`,
      `${expected} bytes (header ${headerBytes} + ${count} ${dataType} values for dims [${dims.join(', ')}])`,
    );
  }
  let data: IdxData;
  if (dataType === 'uint8') {
    data = new Uint8Array(raw.subarray(headerBytes)); // a plain copy, also when `raw` is a Buffer
  } else {
    data = info.make(count);
    for (let i = 0; i < count; i++) data[i] = info.read(view, headerBytes + i * info.bytes);
  }
  return Object.freeze({ dataType, dims: Object.freeze(dims), data });
}

/**
 * Reads and decodes an IDX file (gzip'd or raw).
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER when the file cannot be read
 * @throws {ConfigError} VEIL_CONFIG_INVALID when its content is not valid IDX (see {@link parseIdx})
 */
export function readIdxFile(path: string): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new InvalidParameterError({
      fn: 'readIdxFile',
      param: 'path',
      value: path,
      allowed: `a readable IDX file (${errorCode(error)})`,
    });
  }
  return parseIdx(bytes, `IDX file ${path}`);
}

/**
 * Encodes an array as raw (not gzip'd) IDX bytes; gzip them with `node:zlib`'s `gzipSync` for a `.gz` file.
 * @param array element type, dimensions and row-major values (`data.length` = product of `dims`)
 * @throws {InvalidParameterError} VEIL_INVALID_PARAMETER for an unknown type, a bad dimension or a length mismatch
 * @example encodeIdx({ dataType: 'uint8', dims: [3], data: new Uint8Array([1, 2, 3]) });
 */
export function encodeIdx(array: IdxArray): Uint8Array {
  const fn = 'encodeIdx';
  const info = TYPES[array.dataType];
  if (info === undefined) fail(fn, 'dataType', array.dataType, `one of ${Object.keys(TYPES).join(', ')}`);
  if (array.dims.length < 1 || array.dims.length > 255) fail(fn, 'dims', array.dims, '1 to 255 dimensions');
  let count = 1;
  array.dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1 || d > 0xffffffff)
      fail(fn, `dims[${i}]`, d, 'an integer in [1, 2^32 - 1]');
    count *= d;
  });
  if (array.data.length !== count)
    fail(fn, 'data.length', array.data.length, `the product of dims (${count})`);
  const headerBytes = 4 + 4 * array.dims.length;
  const out = new Uint8Array(headerBytes + count * info.bytes);
  const view = new DataView(out.buffer);
  out[2] = info.code;
  out[3] = array.dims.length;
  array.dims.forEach((d, i) => {
    view.setUint32(4 + 4 * i, d);
  });
  for (let i = 0; i < count; i++) info.write(view, headerBytes + i * info.bytes, array.data[i]!);
  return out;
}

function hex(x: number): string {
  return `0x${(x >>> 0).toString(16).padStart(8, '0')}`;
}

function bad(source: string, path: string, value: unknown, allowed: string): never {
  throw new ConfigError([{ path, value, allowed }], source);
}

function fail(fn: string, param: string, value: unknown, allowed: string): never {
  throw new InvalidParameterError({ fn, param, value, allowed });
}
