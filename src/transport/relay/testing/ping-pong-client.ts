/**
 * The client side of the relay's multi-process test, run in a child process (`node --import tsx`): opens a
 * relayed channel to the server given on the command line, sends `ping <i>` and expects `pong <i>` back, `count`
 * times, closes the channel and prints its stats as JSON. Any mismatch or failure exits with status 1.
 *
 * Usage: ping-pong-client.ts <url> <cert.pem> <key.pem> <ca.pem> <count>
 */
import { openRelayChannel } from '../client.js';

const [url, cert, key, ca, count] = process.argv.slice(2);
if (!url || !cert || !key || !ca || !count) {
  process.stderr.write('usage: ping-pong-client.ts <url> <cert.pem> <key.pem> <ca.pem> <count>\n');
  process.exit(2);
}

try {
  const channel = await openRelayChannel({
    url,
    tls: { cert: { path: cert }, key: { path: key }, ca: { path: ca } },
    protocol: 'test.ping-pong',
    timeoutMs: 10_000,
  });
  const decoder = new TextDecoder();
  for (let i = 0; i < Number(count); i += 1) {
    channel.send('ping', new TextEncoder().encode(`ping ${i}`));
    const reply = decoder.decode(await channel.recv('pong'));
    if (reply !== `pong ${i}`) throw new Error(`expected pong ${i}, got ${reply}`);
  }
  channel.close('ping-pong done');
  await channel.finished();
  process.stdout.write(`${JSON.stringify({ stats: channel.stats(), wire: channel.wireBytes() })}\n`);
} catch (error) {
  process.stderr.write(`ping-pong client failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exitCode = 1;
}
