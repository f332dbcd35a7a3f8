import { describe, expect, it } from 'vitest';
import { ConfigError } from '@sig/runtime';
import { incarnation, loadSfuConfig, parsePortRange } from '../src/config.js';

describe('SFU configuration', () => {
  it('defaults: port 9103, 100 rooms, 1000 connections, 10 s session timeout, any ICE port, no ICE servers', () => {
    const c = loadSfuConfig({});
    expect(c.admin.port).toBe(9103);
    expect(c.maxRooms).toBe(100);
    expect(c.maxPeerConnections).toBe(1000);
    expect(c.groupSessionTimeout).toBe(10_000);
    expect(c.ice).toMatchObject({ portRange: undefined, servers: [], announcedAddress: undefined });
    expect(c.workerName).toMatch(/^sfu-/);
    expect(c.workerId.startsWith(`${c.workerName}.`)).toBe(true);
  });

  it('parses the ICE settings', () => {
    const c = loadSfuConfig({
      SFU_ICE_UDP_PORT_RANGE: '40000-40999',
      SFU_ANNOUNCED_ADDRESS: '198.51.100.7',
      SFU_ICE_INTERFACE_ADDRESS: '127.0.0.1',
      SFU_ICE_SERVERS: 'stun:stun.example.org:3478, turn:turn.example.org:3478?transport=udp',
      SFU_ICE_USERNAME: 'u',
      SFU_ICE_CREDENTIAL: 'p',
      SFU_GROUP_SESSION_TIMEOUT: '6s',
      SFU_WORKER_ID: 'sfu-1',
    });
    expect(c.ice.portRange).toEqual([40000, 40999]);
    expect(c.ice.servers).toEqual(['stun:stun.example.org:3478', 'turn:turn.example.org:3478?transport=udp']);
    expect(c.groupSessionTimeout).toBe(6000);
    expect(c.workerName).toBe('sfu-1');
    expect(c.workerId).toMatch(/^sfu-1\.[0-9a-z]+$/);
  });

  it('names every bad variable at once', () => {
    let error: unknown;
    try {
      loadSfuConfig({
        SFU_ICE_UDP_PORT_RANGE: '41000-40000',
        SFU_ANNOUNCED_ADDRESS: 'not-an-ip',
        SFU_ICE_SERVERS: 'http://nope',
        SFU_GROUP_SESSION_TIMEOUT: '1s',
        SFU_MAX_ROOMS: '0',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const names = (error as ConfigError).problems.map((p) => p.name.split('=')[0]);
    expect(names.sort()).toEqual(['SFU_GROUP_SESSION_TIMEOUT', 'SFU_ICE_SERVERS', 'SFU_MAX_ROOMS']);
    // Cross-variable checks run once the basic parse succeeds.
    let second: unknown;
    try {
      loadSfuConfig({
        SFU_ICE_UDP_PORT_RANGE: '41000-40000',
        SFU_ANNOUNCED_ADDRESS: 'not-an-ip',
        SFU_ICE_SERVERS: 'turn:t.example.org',
      });
    } catch (e) {
      second = e;
    }
    expect((second as ConfigError).problems.map((p) => p.name).sort()).toEqual([
      'SFU_ANNOUNCED_ADDRESS',
      'SFU_ICE_UDP_PORT_RANGE',
      'SFU_ICE_USERNAME',
    ]);
  });

  it('a restarted worker reports a new id (the projector then resets its rooms’ media)', () => {
    const env = { SFU_WORKER_ID: 'sfu-0' };
    expect(loadSfuConfig(env).workerId).not.toBe(loadSfuConfig(env).workerId);
    expect(incarnation(1_700_000_000_000, Buffer.from([0xab, 0xcd]))).toBe('loyw3v28abcd');
  });

  it('port ranges need min < max within 1-65535', () => {
    expect(parsePortRange('40000-40001')).toEqual([40000, 40001]);
    expect(parsePortRange('40000-40000')).toMatch(/less than/);
    expect(parsePortRange('0-10')).toMatch(/within/);
  });
});
