/**
 * Who is using this checkout's local infrastructure. Infrastructure started by `ensureInfra`
 * (a test run, `npm start`) is stopped when the *last* such session ends, so two test runs in
 * one checkout never pull the broker out from under each other. Infrastructure started with
 * `npm run infra:up` carries no session mark and stays up until `npm run infra:down`.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_DIR } from './paths.js';
import { processState } from './proc.js';

const LEASES = join(LOCAL_DIR, 'leases');
let counter = 0;

export type Service = 'kafka' | 'redis';
const markFile = (service: Service): string => join(LOCAL_DIR, service, 'started-by-session');

/** Registers a session of this process; returns its id. */
export function takeLease(): string {
  mkdirSync(LEASES, { recursive: true });
  const id = `${process.pid}-${++counter}`;
  writeFileSync(join(LEASES, id), `${new Date().toISOString()}\n`);
  return id;
}

export function releaseLease(id: string): void {
  rmSync(join(LEASES, id), { force: true });
}

/** Sessions still alive (leases of dead processes are pruned). */
export function liveLeases(): string[] {
  if (!existsSync(LEASES)) return [];
  return readdirSync(LEASES).filter((id) => {
    const pid = Number.parseInt(id, 10);
    if (Number.isInteger(pid) && processState(pid) === 'running') return true;
    rmSync(join(LEASES, id), { force: true });
    return false;
  });
}

/** Records that a session (not `infra:up`) started this service. */
export function markStartedBySession(service: Service): void {
  mkdirSync(join(LOCAL_DIR, service), { recursive: true });
  writeFileSync(markFile(service), `${process.pid}\n`);
}

export function startedBySession(service: Service): boolean {
  return existsSync(markFile(service));
}

/** Hands the service over to the user: it stays up until `infra:down`. */
export function clearSessionMark(service: Service): void {
  rmSync(markFile(service), { force: true });
}
