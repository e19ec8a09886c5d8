import { describe, expect, it } from 'vitest';
import { InvalidParameterError } from '../../core/index.js';
import { assertCertificateName, normalizeSerial, parseHosts, parseSerial } from './names.js';

describe('assertCertificateName', () => {
  it('accepts safe names and refuses the rest with the rule in the message', () => {
    for (const ok of ['a', 'hospital-1', 'Node_07', 'fl.example.org', 'x'.repeat(64)]) {
      expect(() => assertCertificateName('f', 'name', ok)).not.toThrow();
    }
    for (const bad of [
      '',
      '-a',
      '.a',
      'a..b',
      'a.',
      'a/b',
      'a\\b',
      'a b',
      'x'.repeat(65),
      'ca',
      'Issued',
      7,
    ]) {
      expect(() => assertCertificateName('f', 'name', bad), String(bad)).toThrow(InvalidParameterError);
    }
    expect(() => assertCertificateName('f', 'name', 'a/b')).toThrow(/^f: name must be 1-64 letters/);
  });
});

describe('parseHosts', () => {
  it('tells DNS names from IP addresses and lower-cases DNS names', () => {
    expect(parseHosts('f', 'hosts', ['LocalHost', '127.0.0.1', '::1', 'fl.example.org'])).toEqual([
      { kind: 'dns', value: 'localhost' },
      { kind: 'ip', value: '127.0.0.1' },
      { kind: 'ip', value: '::1' },
      { kind: 'dns', value: 'fl.example.org' },
    ]);
  });

  it('refuses wildcards, empty labels, bad characters and non-arrays', () => {
    for (const bad of ['*.example.org', 'a..b', '-a.org', 'a_b.org', '', 'x'.repeat(64)]) {
      expect(() => parseHosts('f', 'hosts', [bad]), bad).toThrow(/f: hosts\[0\] must be a DNS name/);
    }
    expect(() => parseHosts('f', 'hosts', 'localhost')).toThrow(/non-empty array/);
  });
});

describe('serials', () => {
  it('normalizes the spellings of Node, @peculiar/x509 and people to one form', () => {
    expect(normalizeSerial('0A1B')).toBe('a1b');
    expect(normalizeSerial('0a:1b')).toBe('a1b');
    expect(normalizeSerial('00')).toBe('0');
    expect(normalizeSerial('xyz')).toBeUndefined();
    expect(parseSerial('f', 'serial', 'FF:01')).toBe('ff01');
    expect(() => parseSerial('f', 'serial', 12)).toThrow(
      /f: serial must be a certificate serial number in hex/,
    );
  });
});
