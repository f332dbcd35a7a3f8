import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { SfuSession } from '@sig/client';
import type {} from '../../../clients/demo/src/app/main.js';
import { randomId } from '../../support/ids.js';
import { waitFor } from '../../support/wait.js';
import { launchChromium } from './support/chromium.js';
import { startBrowserStack, type BrowserStack } from './support/stack.js';

// Real headless Chromium running the demo page (the SDK bundled by the repo) against the real
// stack: edge → Kafka → projector → SFU as processes. What a user would notice is asserted:
// the other's video decodes, data messages arrive, a lost WebSocket resumes without a gap.

interface DemoPage {
  readonly name: string;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly console: string[];
}

describe('the demo in real Chromium', () => {
  let stack: BrowserStack;
  let browser: Browser;
  const pages: DemoPage[] = [];

  beforeAll(async () => {
    [stack, browser] = await Promise.all([startBrowserStack(), launchChromium()]);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  const open = async (room: string, name: string, mode: 'sfu' | 'p2p'): Promise<DemoPage> => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const lines: string[] = [];
    page.on('console', (m) => lines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => lines.push(`pageerror: ${e.message}`));
    const p = { name, context, page, console: lines };
    pages.push(p);
    await page.goto(`${stack.demo.url}?${new URLSearchParams({ room, name, mode, autojoin: '1' }).toString()}`);
    await waitFor(() => page.evaluate(() => window.demo?.client.state.status === 'joined'), {
      timeoutMs: 20_000,
      message: `${name} joined ${room} (${mode})`,
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}\npage log: ${await page.locator('#log').textContent()}\n${diagnostics()}`);
    });
    return p;
  };

  const diagnostics = (): string =>
    [...pages.map((p) => `---- ${p.name} console\n${p.console.slice(-20).join('\n')}`), stack.tail()].join('\n');
  const frames = (p: DemoPage): Promise<number> => p.page.evaluate(() => window.demo!.framesDecoded());
  const pageLog = (p: DemoPage): Promise<string | null> => p.page.locator('#log').textContent();

  /** Both pages decode the other's video, and keep decoding (framesDecoded grows). */
  const expectVideoBothWays = async (a: DemoPage, b: DemoPage, how: string): Promise<void> => {
    for (const p of [a, b]) {
      const first = await waitFor(async () => ((await frames(p)) > 0 ? frames(p) : 0), {
        timeoutMs: 30_000,
        message: `${p.name} decodes the other's video (${how})`,
      }).catch(async (error: Error) => {
        throw new Error(`${error.message}\n${p.name} log: ${await pageLog(p)}\n${diagnostics()}`);
      });
      await waitFor(async () => (await frames(p)) >= first + 15, {
        timeoutMs: 15_000,
        message: `${p.name}'s framesDecoded keeps growing past ${first + 15} (${how})`,
      });
    }
  };

  /** A data message from each page reaches the other. */
  const expectDataBothWays = async (a: DemoPage, b: DemoPage): Promise<void> => {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const payload = `hello from ${from.name}`;
      await from.page.evaluate((text) => window.demo!.client.sendData(text), payload);
      await waitFor(() => to.page.evaluate((text) => window.demo!.data.some((d) => d.payload === text), payload), {
        message: `${to.name} receives "${payload}"`,
      });
    }
  };

  const closeAll = async (...ps: DemoPage[]): Promise<void> => {
    await Promise.all(ps.map((p) => p.context.close()));
  };

  it('P2P: two pages see and decode each other’s video and exchange data', async () => {
    const room = randomId('p2p');
    const alice = await open(room, 'alice', 'p2p');
    const bob = await open(room, 'bob', 'p2p');
    await expectVideoBothWays(alice, bob, 'P2P');
    await expectDataBothWays(alice, bob);
    // Media went peer to peer: each page has one connection, to the other identity.
    const peers = await alice.page.evaluate(() =>
      [...(window.demo!.media as unknown as { connections: Map<string, RTCPeerConnection> }).connections].map(
        ([identity, pc]) => [identity.split('-')[0], pc.connectionState],
      ),
    );
    expect(peers).toEqual([['bob', 'connected']]);
    await closeAll(alice, bob);
  });

  it('SFU: two pages publish through the SFU and decode each other’s video; data flows', async () => {
    const room = randomId('sfu');
    const alice = await open(room, 'alice', 'sfu');
    const bob = await open(room, 'bob', 'sfu');
    await expectVideoBothWays(alice, bob, 'SFU');
    await expectDataBothWays(alice, bob);
    // The room knows the published tracks (announced by publish, rendered as track_published).
    const bobSees = await bob.page.evaluate(() =>
      [...window.demo!.client.participants.values()].flatMap((p) => p.tracks.map((t) => t.kind)).sort(),
    );
    expect(bobSees).toEqual(['audio', 'video']);

    // A network change on alice's side: ICE restarts on both SFU connections (new ufrags) and the
    // video keeps flowing both ways.
    const ufrags = (): Promise<{ publisher: string | undefined; subscriber: string | undefined; stable: boolean }> =>
      alice.page.evaluate(() => {
        const sfu = window.demo!.media as SfuSession;
        const ufrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
        return {
          publisher: ufrag(sfu.publisher?.localDescription?.sdp),
          subscriber: ufrag(sfu.subscriber?.remoteDescription?.sdp),
          stable: sfu.publisher?.signalingState === 'stable' && sfu.subscriber?.signalingState === 'stable',
        };
      });
    const before = await ufrags();
    await alice.page.evaluate(() => (window.demo!.media as SfuSession).restartIce());
    await waitFor(
      async () => {
        const now = await ufrags();
        return now.stable && now.publisher !== before.publisher && now.subscriber !== before.subscriber;
      },
      { timeoutMs: 20_000, message: 'ICE restarted on the publisher (client offer) and subscriber (SFU offer)' },
    );
    await expectVideoBothWays(alice, bob, 'SFU after an ICE restart');
    await closeAll(alice, bob);
  });

  it('a page that loses its WebSocket resumes its session without missing a room event', async () => {
    const room = randomId('resume');
    const alice = await open(room, 'alice', 'p2p');
    const bob = await open(room, 'bob', 'p2p');
    const before = await alice.page.evaluate(() => ({
      sessionId: window.demo!.client.sessionId,
      lastSeq: window.demo!.client.lastSeq,
    }));

    // Offline first, so that reconnect attempts fail and bob's messages are sent while alice is away.
    await alice.context.setOffline(true);
    await alice.page.evaluate(() => window.demo!.client.dropConnection());
    await waitFor(() => alice.page.evaluate(() => window.demo!.client.state.status === 'reconnecting'), {
      message: 'alice shows reconnecting',
    });
    expect(await alice.page.locator('#state').textContent()).toMatch(/reconnecting/);
    const missed = ['while-away-1', 'while-away-2', 'while-away-3'];
    for (const text of missed) await bob.page.evaluate((t) => window.demo!.client.sendData(t), text);
    await bob.page.evaluate(() => window.demo!.client.updateMetadata({ metadata: '{"mood":"waiting"}' }));

    await alice.context.setOffline(false);
    await waitFor(() => alice.page.evaluate(() => window.demo!.client.state.status === 'joined'), {
      timeoutMs: 20_000,
      message: 'alice resumed',
    });
    const after = await alice.page.evaluate(() => ({
      sessionId: window.demo!.client.sessionId,
      applied: window.demo!.applied,
      data: window.demo!.data.map((d) => d.payload),
      states: window.demo!.states,
      bobMetadata: [...window.demo!.client.participants.values()].find((p) => p.identity.startsWith('bob'))?.metadata,
    }));
    expect(after.sessionId, 'same session: resumed, not rejoined').toBe(before.sessionId);
    expect(after.states).toContain('reconnecting');
    expect(after.states.filter((s) => s === 'joined')).toHaveLength(2);
    expect(after.data).toEqual(missed);
    expect(after.bobMetadata).toBe('{"mood":"waiting"}');
    const seqs = after.applied.map((m) => m.seq);
    expect(seqs, 'every room event applied once, in order').toEqual([...new Set(seqs)].sort((x, y) => x - y));
    const resumed = after.applied.find((m) => m.type === 'resumed');
    expect(resumed, 'a resumed message, after the replayed events').toBeDefined();
    const replayed = after.applied.filter((m) => m.seq > before.lastSeq! && m.seq < resumed!.seq);
    expect(replayed.map((m) => m.type)).toEqual(
      expect.arrayContaining(['data', 'data', 'data', 'participant_updated']),
    );
    await closeAll(alice, bob);
  });
});
