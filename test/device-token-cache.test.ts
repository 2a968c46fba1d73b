import crypto from 'node:crypto';
import { DeviceTokens } from '../src/modules/tickets/checkin-auth';

/** Verified door-device tokens are remembered; expiry and tampering are still caught on every use. */
describe('door-device token verification cache', () => {
  const devices = new DeviceTokens(crypto.randomBytes(32).toString('hex'));
  const tokenId = crypto.randomUUID();
  const eventId = crypto.randomUUID();

  afterEach(() => jest.restoreAllMocks());

  it('answers a repeated token with the same device, as a fresh object each time', () => {
    const token = devices.sign(tokenId, eventId, new Date(Date.now() + 3_600_000));
    const first = devices.verify(token);
    first.eventId = crypto.randomUUID();
    expect(devices.verify(token)).toEqual({ tokenId, eventId });
  });

  it('refuses a remembered token once it has expired', () => {
    const token = devices.sign(tokenId, eventId, new Date(Date.now() + 60_000));
    expect(devices.verify(token)).toEqual({ tokenId, eventId });
    const now = Date.now();
    jest.spyOn(Date, 'now').mockReturnValue(now + 61_000);
    expect(() => devices.verify(token)).toThrow('Check-in token expired');
    expect(() => devices.verify(token)).toThrow('Check-in token expired');
  });

  it('does not let a remembered token vouch for a tampered copy of it', () => {
    const token = devices.sign(tokenId, eventId, new Date(Date.now() + 3_600_000));
    devices.verify(token);
    const [header, , signature] = token.split('.');
    const other = Buffer.from(
      JSON.stringify({ evt: crypto.randomUUID(), exp: 4_102_444_800, sub: tokenId, aud: 'checkin' }),
    ).toString('base64url');
    expect(() => devices.verify(`${header}.${other}.${signature}`)).toThrow('Invalid token');
  });
});
