// Owns who is signed in, in the browser: the bearer token kept in localStorage (so every tab of the site
// shares it), its claims read for display only (the API verifies every request), and the header's
// sign-in status on every page.

const storageKey = 'boxoffice.token';

export interface Session {
  token: string;
  userId: string;
  role: string;
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

/** The claims of a JWT, unverified; undefined for anything that is not one. */
function claimsOf(token: string): { sub?: unknown; role?: unknown; exp?: unknown } | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (char) => char.charCodeAt(0))));
  } catch {
    return undefined;
  }
}

function sessionOf(token: string): Session | undefined {
  const claims = claimsOf(token);
  if (!claims || typeof claims.sub !== 'string' || typeof claims.role !== 'string') return undefined;
  if (typeof claims.exp !== 'number') return undefined;
  return { token, userId: claims.sub, role: claims.role, expiresAt: claims.exp * 1000 };
}

/** The signed-in user, or undefined when nobody is (or the token has expired, which signs them out). */
export function currentSession(): Session | undefined {
  const token = localStorage.getItem(storageKey);
  if (!token) return undefined;
  const session = sessionOf(token);
  if (!session || session.expiresAt <= Date.now()) {
    localStorage.removeItem(storageKey);
    return undefined;
  }
  return session;
}

/** Keeps `token` as the signed-in user's; refuses what is not a token with sub, role and exp. */
export function signIn(token: string): Session {
  const session = sessionOf(token.trim());
  if (!session) throw new Error('that is not a bearer token with sub, role and exp claims');
  if (session.expiresAt <= Date.now()) throw new Error('that token has expired');
  localStorage.setItem(storageKey, session.token);
  return session;
}

export function signOut(): void {
  localStorage.removeItem(storageKey);
}

/** The path to come back to after signing in: this page. */
export function signInHref(): string {
  return `/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`;
}

/** Fills the header's status: who is signed in with a sign-out button, or a sign-in link. */
export function renderSessionBar(): Session | undefined {
  const bar = document.getElementById('session');
  const session = currentSession();
  if (!bar) return session;
  bar.replaceChildren();
  if (!session) {
    const link = document.createElement('a');
    link.href = signInHref();
    link.textContent = 'Sign in';
    bar.append(link);
    return session;
  }
  const who = document.createElement('span');
  who.textContent = `${session.userId} (${session.role})`;
  who.dataset.userId = session.userId;
  const out = document.createElement('button');
  out.type = 'button';
  out.textContent = 'Sign out';
  out.addEventListener('click', () => {
    signOut();
    location.reload();
  });
  bar.append(who, ' ', out);
  return session;
}
