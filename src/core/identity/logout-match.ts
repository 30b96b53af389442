/** Which connections a back-channel logout closes. Pure. */

/**
 * Does a connection whose verified token had `claims` belong to this logout (Back-Channel Logout
 * 1.0 §2.6)? With a `sid` in both the logout and the connection's claims, that session only (and
 * the same `sub` when the logout names one); otherwise every connection of the logout's `sub`.
 */
export function matchesLogout(logout: { readonly sub?: string; readonly sid?: string }, claims: Readonly<Record<string, unknown>> | undefined): boolean {
  if (claims === undefined) return false;
  if (logout.sid !== undefined && typeof claims['sid'] === 'string') {
    return claims['sid'] === logout.sid && (logout.sub === undefined || claims['sub'] === logout.sub);
  }
  return logout.sub !== undefined && claims['sub'] === logout.sub;
}
