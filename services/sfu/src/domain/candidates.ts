/**
 * ICE candidate rewriting for deployments behind a 1:1 NAT (the public address is not bound
 * locally, so werift cannot gather it) and for restricting the SFU to one interface. Works on
 * candidate-attribute strings (`candidate:<foundation> <component> <transport> <priority>
 * <address> <port> typ <type> ...`) and on the `a=candidate:` lines of an SDP.
 */

/** Address field of a candidate line, or null when it is not a candidate. */
export function candidateAddress(candidate: string): string | null {
  const parts = candidate.replace(/^a=/, '').split(/\s+/);
  if (!parts[0]?.startsWith('candidate:') || parts.length < 8) return null;
  return parts[4] ?? null;
}

/** Candidate type (`host`, `srflx`, `relay`, `prflx`), or null. */
export function candidateType(candidate: string): string | null {
  const parts = candidate.replace(/^a=/, '').split(/\s+/);
  const i = parts.indexOf('typ');
  return i >= 0 ? (parts[i + 1] ?? null) : null;
}

/** Policy applied to every local candidate before it leaves the SFU. */
export interface CandidatePolicy {
  /** Advertise only candidates on this local address. */
  readonly onlyAddress?: string | undefined;
  /** Replace the address of host candidates with this one (1:1 NAT). */
  readonly announcedAddress?: string | undefined;
}

/** The candidate as advertised, or null to drop it. */
export function applyCandidatePolicy(candidate: string, policy: CandidatePolicy): string | null {
  const address = candidateAddress(candidate);
  if (address === null) return candidate;
  if (policy.onlyAddress !== undefined && candidateType(candidate) === 'host' && address !== policy.onlyAddress)
    return null;
  if (policy.announcedAddress !== undefined && candidateType(candidate) === 'host') {
    const prefix = candidate.startsWith('a=') ? 'a=' : '';
    const parts = candidate.slice(prefix.length).split(/\s+/);
    parts[4] = policy.announcedAddress;
    return prefix + parts.join(' ');
  }
  return candidate;
}

/** The SDP with every `a=candidate:` line passed through the policy. */
export function applyCandidatePolicyToSdp(sdp: string, policy: CandidatePolicy): string {
  if (policy.onlyAddress === undefined && policy.announcedAddress === undefined) return sdp;
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines: string[] = [];
  for (const line of sdp.split(eol)) {
    if (!line.startsWith('a=candidate:')) {
      lines.push(line);
      continue;
    }
    const kept = applyCandidatePolicy(line, policy);
    if (kept !== null && !lines.includes(kept)) lines.push(kept);
  }
  return lines.join(eol);
}
