import { describe, expect, it } from 'vitest';
import { createLogger, secretRedactPaths } from '../src/logger.js';

function capture(): { lines: string[]; stream: { write(chunk: string): void } } {
  const lines: string[] = [];
  return { lines, stream: { write: (chunk: string) => void lines.push(chunk) } };
}

const SECRETS = [
  'tok-top-level',
  'Bearer eyJhbGciOi.header',
  'pw-nested',
  'cookie-session',
  'tok-in-url',
  'child-binding-token',
  'ws-protocol-token',
  'client-secret',
  'refresh-tok',
  'redis-password',
];

describe('createLogger', () => {
  it('writes JSON lines with service and instance', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'edge', instance: 'edge-1', destination: stream });
    logger.info({ room: 'r1' }, 'joined');
    const entry = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(entry).toMatchObject({ service: 'edge', instance: 'edge-1', room: 'r1', msg: 'joined', level: 30 });
    expect(typeof entry['time']).toBe('string');
  });

  it('respects the level', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 's', instance: 'i', level: 'warn', destination: stream });
    logger.info('hidden');
    logger.warn('shown');
    expect(lines).toHaveLength(1);
  });

  it('never writes secrets', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 'edge', instance: 'edge-1', level: 'trace', destination: stream });
    logger.info({ token: 'tok-top-level' }, 'top level');
    logger.info(
      { req: { headers: { authorization: 'Bearer eyJhbGciOi.header', cookie: 'cookie-session' } } },
      'request',
    );
    logger.info({ headers: { 'sec-websocket-protocol': 'ws-protocol-token' } }, 'upgrade');
    logger.warn(
      { user: { password: 'pw-nested' }, oauth: { clientSecret: 'client-secret', refresh_token: 'refresh-tok' } },
      'nested',
    );
    logger.info({ url: '/rtc?room=r1&token=tok-in-url' }, 'upgrade url');
    logger.child({ component: 'auth', token: 'child-binding-token' }).debug('child');
    logger.info({ url: 'redis://default:redis-password@redis:6379' }, 'redis url');
    const output = lines.join('');
    expect(lines).toHaveLength(7);
    for (const secret of SECRETS) expect(output).not.toContain(secret);
    expect(output).toContain('[REDACTED]');
    // Non-secret context survives redaction.
    expect(output).toContain('room=r1');
    expect(output).toContain('"component":"auth"');
  });

  it('builds redaction paths for the first levels, bracketing keys that need it', () => {
    const paths = secretRedactPaths(['token', 'set-cookie']);
    expect(paths).toEqual(['token', '*.token', '*.*.token', '["set-cookie"]', '*["set-cookie"]', '*.*["set-cookie"]']);
  });
});
