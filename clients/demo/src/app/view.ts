/** DOM helpers of the demo page: the participant tiles and the connection state badge. */
import type { ConnectionState } from '@sig/client';

/** One participant's tile: a video and a label. */
export interface Tile {
  readonly root: HTMLElement;
  readonly video: HTMLVideoElement;
  readonly label: HTMLElement;
}

/** The grid of tiles, keyed by session id ('self' for the local preview). */
export class Tiles {
  readonly #tiles = new Map<string, Tile>();

  constructor(private readonly container: HTMLElement) {}

  /** The tile of `key`, created when missing. */
  tile(key: string, label: string): Tile {
    let tile = this.#tiles.get(key);
    if (!tile) {
      const root = document.createElement('div');
      root.className = 'tile';
      root.dataset['key'] = key;
      const video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
      const who = document.createElement('div');
      who.className = 'who';
      root.append(video, who);
      this.container.append(root);
      tile = { root, video, label: who };
      this.#tiles.set(key, tile);
    }
    tile.label.textContent = label;
    return tile;
  }

  /** Shows exactly these participants (plus self): adds the new ones, removes those who left. */
  sync(participants: readonly { key: string; label: string }[]): void {
    const keep = new Set(['self', ...participants.map((p) => p.key)]);
    for (const p of participants) this.tile(p.key, p.label);
    for (const [key, tile] of this.#tiles)
      if (!keep.has(key)) {
        tile.root.remove();
        this.#tiles.delete(key);
      }
  }
}

/** Renders the connection state into the badge. */
export function renderState(badge: HTMLElement, state: ConnectionState): void {
  badge.dataset['status'] = state.status;
  badge.textContent =
    state.status === 'reconnecting'
      ? `reconnecting (attempt ${state.attempt + 1})…`
      : state.status === 'closed'
        ? `closed (${state.reason}${state.error ? `: ${state.error.message}` : ''})`
        : state.status === 'connecting' && state.resuming
          ? 'resuming…'
          : state.status;
}
