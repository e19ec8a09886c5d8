import { afterEach, describe, expect, it } from 'vitest';
import {
  BudgetExceededError,
  ConfigError,
  ConsentError,
  IntegrityError,
  InternalError,
  InvalidParameterError,
  NumericError,
  ProtocolError,
  UnsupportedError,
} from '../../core/index.js';
import { errorReply, HttpError, INTERNAL_ERROR_MESSAGE } from './errors.js';
import { createHttpServer, type HttpListening, listen } from './server.js';

const SECRET = 'SECRET-MARKER-7f3a';

const open: HttpListening[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((server) => server.close()));
});

async function serve(options: Parameters<typeof createHttpServer>[0]) {
  const app = createHttpServer(options);
  app.get('/items/:id', async (request) => ({ id: (request.params as { id: string }).id }));
  app.post('/echo', async (request) => ({ received: request.body }));
  app.post('/upload', async (request) => ({ bytes: (request.body as Buffer).length }));
  app.post(
    '/validated',
    { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } },
    async () => ({ ok: true }),
  );
  app.get('/boom', async () => {
    throw new Error(`database said: ${SECRET}`);
  });
  app.get('/http-error', async () => {
    throw new HttpError(418, 'teapot_refused', 'no coffee here');
  });
  app.get('/budget', async () => {
    throw new BudgetExceededError('spend of 1 exceeds the remaining 0.5', { account: 'a' });
  });
  const server = await listen(app, { host: '127.0.0.1', port: 0 });
  open.push(server);
  return server;
}

async function json(
  response: Response,
): Promise<{ error?: { code: string; message: string } } & Record<string, unknown>> {
  return (await response.json()) as { error?: { code: string; message: string } } & Record<string, unknown>;
}

describe('createHttpServer', () => {
  it('serves routes and answers unknown routes with 404 not_found', async () => {
    const server = await serve({ label: 'test' });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const ok = await fetch(`${server.url}/items/7`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: '7' });
    const missing = await fetch(`${server.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect((await json(missing)).error?.code).toBe('not_found');
  });

  it('parses octet-stream bodies to a Buffer and refuses oversized ones with 413 body_too_large', async () => {
    const server = await serve({ label: 'test', bodyLimit: 1024 });
    const small = await fetch(`${server.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(1000),
    });
    expect(await small.json()).toEqual({ bytes: 1000 });
    const big = await fetch(`${server.url}/upload`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array(1025),
    });
    expect(big.status).toBe(413);
    expect((await json(big)).error).toEqual({ code: 'body_too_large', message: 'request body is too large' });
    const bigJson = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pad: 'x'.repeat(2000) }),
    });
    expect(bigJson.status).toBe(413);
  });

  it('answers bad JSON, unsupported media types and failed validation with stable codes', async () => {
    const server = await serve({ label: 'test' });
    const badJson = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"${SECRET}": `,
    });
    expect(badJson.status).toBe(400);
    const badJsonBody = await json(badJson);
    expect(badJsonBody.error?.code).toBe('bad_json');
    expect(JSON.stringify(badJsonBody)).not.toContain(SECRET);
    const poisoned = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"__proto__": {"admin": true}}',
    });
    expect(poisoned.status).toBe(400);
    const media = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<a/>',
    });
    expect(media.status).toBe(415);
    expect((await json(media)).error?.code).toBe('unsupported_media_type');
    const invalid = await fetch(`${server.url}/validated`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ n: 'seven' }),
    });
    expect(invalid.status).toBe(400);
    expect((await json(invalid)).error?.code).toBe('bad_request');
    const echoed = await fetch(`${server.url}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(await echoed.json()).toEqual({ received: { a: 1 } });
  });

  it('answers an unknown error with 500 and a generic message, never the original', async () => {
    const server = await serve({ label: 'test' });
    const response = await fetch(`${server.url}/boom`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain(SECRET);
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal', message: INTERNAL_ERROR_MESSAGE } });
  });

  it('answers HttpError and Veil errors with their status and code', async () => {
    const server = await serve({ label: 'test' });
    const teapot = await fetch(`${server.url}/http-error`);
    expect(teapot.status).toBe(418);
    expect(await teapot.json()).toEqual({ error: { code: 'teapot_refused', message: 'no coffee here' } });
    const budget = await fetch(`${server.url}/budget`);
    expect(budget.status).toBe(409);
    expect((await json(budget)).error?.code).toBe('budget_exceeded');
  });

  it('logs method, route pattern, status, ms and code only: never query strings, bodies or headers', async () => {
    const lines: Record<string, unknown>[] = [];
    const server = await serve({ label: 'test', bodyLimit: 4096, log: (line) => lines.push(line) });
    await fetch(`${server.url}/items/${SECRET}?token=${SECRET}`, { headers: { 'x-secret': SECRET } });
    await fetch(`${server.url}/echo?q=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${SECRET}` },
      body: JSON.stringify({ secret: SECRET }),
    });
    await fetch(`${server.url}/echo?q=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"${SECRET}"`,
    });
    await fetch(`${server.url}/upload?q=${SECRET}`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new TextEncoder().encode(SECRET.repeat(1000)),
    });
    await fetch(`${server.url}/boom?q=${SECRET}`);
    await fetch(`${server.url}/${SECRET}?q=${SECRET}`);
    await server.close();
    expect(lines).toHaveLength(6);
    for (const line of lines) {
      expect(JSON.stringify(line)).not.toContain(SECRET);
      expect(Object.keys(line).sort()).toEqual(
        'code' in line
          ? ['code', 'method', 'ms', 'route', 'server', 'status']
          : ['method', 'ms', 'route', 'server', 'status'],
      );
      expect(typeof line['ms']).toBe('number');
    }
    expect(lines.map((line) => [line['method'], line['route'], line['status'], line['code']])).toEqual([
      ['GET', '/items/:id', 200, undefined],
      ['POST', '/echo', 200, undefined],
      ['POST', '/echo', 400, 'bad_json'],
      ['POST', '/upload', 413, 'body_too_large'],
      ['GET', '/boom', 500, 'internal'],
      ['GET', '(unmatched)', 404, 'not_found'],
    ]);
    expect(lines[0]?.['server']).toBe('test');
  });

  it('keeps serving when the log callback throws', async () => {
    const server = await serve({
      label: 'test',
      log: () => {
        throw new Error('sink down');
      },
    });
    expect((await fetch(`${server.url}/items/1`)).status).toBe(200);
    expect((await fetch(`${server.url}/items/2`)).status).toBe(200);
  });

  it('refuses bad options', () => {
    expect(() => createHttpServer({ label: '' })).toThrow(InvalidParameterError);
    expect(() => createHttpServer({ label: 'x', bodyLimit: 0 })).toThrow(InvalidParameterError);
    expect(() => createHttpServer({ label: 'x', bodyLimit: 1.5 })).toThrow(InvalidParameterError);
  });

  it('refuses a bad port or host', async () => {
    const app = createHttpServer({ label: 'x' });
    await expect(listen(app, { host: '127.0.0.1', port: 70000 })).rejects.toThrow(InvalidParameterError);
    await expect(listen(app, { host: '', port: 0 })).rejects.toThrow(InvalidParameterError);
  });
});

describe('errorReply', () => {
  it('maps every Veil error class by its code, with the status of core', () => {
    const cases: [Error, number, string][] = [
      [new InvalidParameterError({ fn: 'f', param: 'p', value: 1, allowed: '> 1' }), 400, 'invalid_input'],
      [new ConfigError([{ path: 'a', value: 1, allowed: 'b' }]), 400, 'invalid_input'],
      [new ProtocolError('out of stage'), 400, 'protocol_violation'],
      [new BudgetExceededError('over'), 409, 'budget_exceeded'],
      [new UnsupportedError('no'), 422, 'unsupported'],
      [new NumericError('nan'), 422, 'numeric_failure'],
      [new IntegrityError('tampered'), 500, 'integrity_failed'],
      [new ConsentError('purpose'), 403, 'consent_refused'],
      [new InternalError(`invariant broke near ${SECRET}`), 500, 'internal'],
    ];
    for (const [error, status, code] of cases) {
      const reply = errorReply(error);
      expect([reply.status, reply.body.error.code]).toEqual([status, code]);
    }
    expect(errorReply(new InternalError(SECRET)).body.error.message).toBe(INTERNAL_ERROR_MESSAGE);
    expect(errorReply(new BudgetExceededError('over')).body.error.message).toBe('over');
  });

  it('maps anything unknown to 500 internal', () => {
    for (const thrown of [
      new TypeError(SECRET),
      SECRET,
      undefined,
      null,
      { statusCode: 400, message: SECRET },
    ]) {
      expect(errorReply(thrown)).toEqual({
        status: 500,
        body: { error: { code: 'internal', message: INTERNAL_ERROR_MESSAGE } },
      });
    }
  });

  it('refuses a bad HttpError status or code', () => {
    expect(() => new HttpError(200, 'ok', 'x')).toThrow(InvalidParameterError);
    expect(() => new HttpError(400, 'Bad-Code', 'x')).toThrow(InvalidParameterError);
  });
});
