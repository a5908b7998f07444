/**
 * A manufacturer service for tests over real sockets: a temporary data
 * dir, ports 0, a fixed master key, a factory token, a first console
 * account and a light Argon2id cost; and a signed-in staff member's API.
 */
import { startService, type ManufacturerService } from '../../manufacturer/service/app.ts';
import { loadConfig } from '../../manufacturer/service/config.ts';
import { base64urlEncode } from '../../protocols/encoding/base64url.ts';

export const TEST_FACTORY_TOKEN = 'factory-token-0123456789';
export const TEST_ADMIN = { username: 'admin', password: 'correct horse battery staple' };
export const LIGHT_ARGON2 = { m: 256, t: 1, p: 1 };

/** Starts the service in `dataDir` (the caller removes it and calls close()). */
export async function startTestService(dataDir: string, env: Record<string, string> = {}): Promise<ManufacturerService> {
  const config = loadConfig({
    SSIOT_MFR_DATA_DIR: dataDir,
    SSIOT_MFR_HTTP_PORT: '0',
    SSIOT_MFR_MQTT_PORT: '0',
    SSIOT_MFR_WS_PORT: '0',
    SSIOT_MASTER_KEY: base64urlEncode(new Uint8Array(32).fill(9)),
    SSIOT_FACTORY_TOKEN: TEST_FACTORY_TOKEN,
    SSIOT_ADMIN_USER: TEST_ADMIN.username,
    SSIOT_ADMIN_PASSWORD: TEST_ADMIN.password,
    ...env,
  });
  return startService({ config, logger: false, argon2: LIGHT_ARGON2 });
}

export type StaffApi = (method: string, path: string, body?: unknown, type?: string) => Promise<{ status: number; body: any }>;

/** Signs in as TEST_ADMIN; JSON calls (or raw bytes with another `type`) with the session cookie and CSRF token. */
export async function staffSession(s: { url: string }): Promise<StaffApi> {
  const res = await fetch(`${s.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(TEST_ADMIN) });
  if (res.status !== 200) throw new Error(`staff sign-in failed: HTTP ${res.status}`);
  const cookie = (res.headers.get('set-cookie') as string).split(';')[0];
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return async (method, path, body, type = 'application/json') => {
    const r = await fetch(`${s.url}${path}`, {
      method,
      headers: { cookie, 'x-csrf-token': csrfToken, ...(body === undefined ? {} : { 'content-type': type }) },
      body: body === undefined ? undefined : type === 'application/json' ? JSON.stringify(body) : new Blob([body as Uint8Array<ArrayBuffer>]),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined };
  };
}
