/** The in-memory channel: order, tags, copies, close and timeouts, and byte counts. */
import { describe, expect, it } from 'vitest';
import { memoryChannelPair } from './channel.js';

describe('memoryChannelPair', () => {
  it('delivers in order, both ways, and counts payload plus framing bytes', async () => {
    const [a, b] = memoryChannelPair({ peers: ['bob', 'alice'] });
    a.send('one', new Uint8Array([1]));
    a.send('two', new Uint8Array([2, 2]));
    expect(Array.from(await b.recv('one'))).toEqual([1]);
    const pending = a.recv('back');
    b.send('back', new Uint8Array(10));
    expect((await pending).length).toBe(10);
    expect(Array.from(await b.recv('two'))).toEqual([2, 2]);
    expect(a.stats()).toEqual({
      bytesSent: 1 + 3 + 4 + 2 + 3 + 4,
      bytesReceived: 10 + 4 + 4,
      messagesSent: 2,
      messagesReceived: 1,
    });
    expect(b.stats().bytesReceived).toBe(a.stats().bytesSent);
  });

  it('copies the payload, as a socket would', async () => {
    const [a, b] = memoryChannelPair();
    const buf = new Uint8Array([7]);
    a.send('x', buf);
    buf[0] = 9;
    expect((await b.recv('x'))[0]).toBe(7);
  });

  it('refuses a message with another tag, naming both steps and the peer', async () => {
    const [a, b] = memoryChannelPair({ peers: ['bob', 'alice'] });
    a.send('ot.base.A', new Uint8Array(1));
    await expect(b.recv('gc.hello')).rejects.toThrow(
      'alice sent a ot.base.A message where gc.hello was expected',
    );
  });

  it('fails a waiting recv when the peer closes, with the reason', async () => {
    const [a, b] = memoryChannelPair({ peers: ['bob', 'alice'] });
    const waiting = b.recv('x');
    a.close('evaluator gave up');
    await expect(waiting).rejects.toThrow(/closed.*evaluator gave up/);
    await expect(b.recv('y')).rejects.toThrow(/closed/);
    expect(() => a.send('x', new Uint8Array(1))).toThrow(/closed/);
  });

  it('times out a recv, naming the message waited for', async () => {
    const [, b] = memoryChannelPair({ peers: ['bob', 'alice'], timeoutMs: 20 });
    await expect(b.recv('psi.hello')).rejects.toThrow('alice sent no psi.hello message within 20 ms');
  });

  it('refuses a second concurrent recv and a non-byte payload', async () => {
    const [a, b] = memoryChannelPair();
    const first = b.recv('x');
    await expect(b.recv('y')).rejects.toThrow(/one at a time/);
    // @ts-expect-error a string is not a payload
    expect(() => a.send('x', 'text')).toThrow(/payload must be a Uint8Array/);
    a.send('x', new Uint8Array(0));
    await first;
  });
});
