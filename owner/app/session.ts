/**
 * The unlocked state: the wallet (vault), the owner agent built from the
 * settings, and the settings themselves. One at a time; none while locked.
 */
import { OwnerAgent } from '../agent.ts';
import { BrowserTransport, browserResolver, mappedWebvhFetch } from './platform.ts';
import type { AppSettings, OwnerVault } from './vault.ts';

export interface Session {
  vault: OwnerVault;
  agent: OwnerAgent;
  settings: AppSettings;
}

let current: Session | undefined;

export function hasSession(): boolean {
  return current !== undefined;
}

/** The unlocked session (screens are only reachable while unlocked). */
export function session(): Session {
  if (!current) throw new Error('the wallet is locked');
  return current;
}

export function setSession(s: Session | undefined): void {
  current = s;
}

/** An OwnerAgent trusting the settings' manufacturer, resolving its did:webvh through the service URL. */
export function makeAgent(settings: AppSettings): OwnerAgent {
  const resolver = browserResolver(mappedWebvhFetch(settings));
  return new OwnerAgent({ transport: new BrowserTransport(), resolver, trustedManufacturers: settings.manufacturerDid ? [settings.manufacturerDid] : [] });
}
