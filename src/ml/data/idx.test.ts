import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fc, test } from '@fast-check/vitest';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeIdx, type IdxArray, type IdxDataType, parseIdx, readIdxFile } from './idx.js';
import { expectConfigIssue, expectInvalidParameter } from './testing.js';

const labels: IdxArray = { dataType: 'uint8', dims: [4], data: new Uint8Array([3, 0, 9, 1]) };

describe('parseIdx', () => {
  it('reads the label magic 0x00000801 and the image magic 0x00000803, raw or gzip-ed', () => {
    const raw = encodeIdx(labels);
    expect(Array.from(raw.subarray(0, 8))).toEqual([0, 0, 8, 1, 0, 0, 0, 4]);
    expect(parseIdx(raw)).toEqual(labels);
    expect(parseIdx(gzipSync(raw))).toEqual(labels);
    const images: IdxArray = {
      dataType: 'uint8',
      dims: [2, 2, 3],
      data: Uint8Array.from({ length: 12 }, (_, i) => i * 20),
    };
    const bytes = encodeIdx(images);
    expect(Array.from(bytes.subarray(0, 4))).toEqual([0, 0, 8, 3]);
    expect(parseIdx(gzipSync(bytes))).toEqual(images);
  });

  it('refuses a bad magic number, naming it', () => {
    const raw = encodeIdx(labels);
    const wrongType = raw.slice();
    wrongType[2] = 0x07;
    expect(expectConfigIssue(() => parseIdx(wrongType), 'magic').message).toMatch(/0x00000701/);
    const notIdx = raw.slice();
    notIdx[0] = 0x50;
    expectConfigIssue(() => parseIdx(notIdx), 'magic');
    const noDims = raw.slice();
    noDims[3] = 0;
    expectConfigIssue(() => parseIdx(noDims), 'magic');
  });

  it('refuses truncated headers and data, trailing bytes and zero dimensions', () => {
    const raw = encodeIdx(labels);
    expectConfigIssue(() => parseIdx(raw.subarray(0, 3)), 'header');
    expectConfigIssue(() => parseIdx(raw.subarray(0, 6)), 'header');
    const short = expectConfigIssue(() => parseIdx(raw.subarray(0, raw.length - 1)), 'length');
    expect(short.message).toMatch(
      /length: must be 12 bytes \(header 8 \+ 4 uint8 values for dims \[4\]\), got "11 bytes"/,
    );
    expectConfigIssue(() => parseIdx(Uint8Array.from([...raw, 0])), 'length');
    const zero = raw.slice();
    zero[7] = 0;
    expectConfigIssue(() => parseIdx(zero), 'dims[0]');
    const huge = encodeIdx({ dataType: 'uint8', dims: [1, 1], data: new Uint8Array(1) });
    huge.set([0, 1, 0, 0], 4); // 65,536 × 65,536 elements: more than any real file, refused before allocating
    huge.set([0, 1, 0, 0], 8);
    expectConfigIssue(() => parseIdx(huge), 'dims[1]');
  });

  it('refuses a corrupt or truncated gzip stream', () => {
    const gz = gzipSync(encodeIdx(labels));
    expectConfigIssue(() => parseIdx(gz.subarray(0, gz.length - 6)), 'gzip');
    const flipped = gz.slice();
    flipped[12] = flipped[12]! ^ 0xff;
    expectConfigIssue(() => parseIdx(flipped), 'gzip');
  });

  describe('properties', () => {
    const types: IdxDataType[] = ['uint8', 'int8', 'int16', 'int32', 'float32', 'float64'];
    const sample: Record<IdxDataType, (n: number) => fc.Arbitrary<number[]>> = {
      uint8: (n) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: n, maxLength: n }),
      int8: (n) => fc.array(fc.integer({ min: -128, max: 127 }), { minLength: n, maxLength: n }),
      int16: (n) => fc.array(fc.integer({ min: -32768, max: 32767 }), { minLength: n, maxLength: n }),
      int32: (n) => fc.array(fc.integer(), { minLength: n, maxLength: n }),
      float32: (n) => fc.array(fc.float({ noNaN: true }), { minLength: n, maxLength: n }),
      float64: (n) => fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n }),
    };
    const arrays = fc
      .tuple(
        fc.constantFrom(...types),
        fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }),
      )
      .chain(([dataType, dims]) =>
        sample[dataType](dims.reduce((a, b) => a * b, 1)).map((values) => ({ dataType, dims, values })),
      );

    test.prop([arrays, fc.boolean()])('decode(encode(x)) = x for every element type', (x, gzip) => {
      const raw = encodeIdx({
        dataType: x.dataType,
        dims: x.dims,
        data: Float64Array.from(x.values) as unknown as IdxArray['data'],
      });
      const back = parseIdx(gzip ? gzipSync(raw) : raw);
      expect(back.dataType).toBe(x.dataType);
      expect(back.dims).toEqual(x.dims);
      expect(Array.from(back.data)).toEqual(
        x.values.map((v) => (x.dataType === 'float32' ? Math.fround(v) : v)),
      );
    });
  });
});

describe('readIdxFile and encodeIdx', () => {
  const dir = mkdtempSync(join(tmpdir(), 'veil-idx-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a gzip-ed file and names the file in errors', () => {
    const path = join(dir, 'labels.gz');
    writeFileSync(path, gzipSync(encodeIdx(labels)));
    expect(readIdxFile(path)).toEqual(labels);
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'not an idx file');
    expect(expectConfigIssue(() => readIdxFile(bad), 'magic').message).toContain(bad);
    expectInvalidParameter(() => readIdxFile(join(dir, 'none')), 'readIdxFile', 'path');
  });

  it('refuses arrays it cannot encode', () => {
    expectInvalidParameter(() => encodeIdx({ ...labels, dims: [5] }), 'encodeIdx', 'data.length');
    expectInvalidParameter(() => encodeIdx({ ...labels, dims: [] }), 'encodeIdx', 'dims');
    expectInvalidParameter(() => encodeIdx({ ...labels, dims: [0] }), 'encodeIdx', 'dims[0]');
    expectInvalidParameter(
      () => encodeIdx({ ...labels, dataType: 'int64' as IdxDataType }),
      'encodeIdx',
      'dataType',
    );
  });
});
