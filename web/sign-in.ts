// Owns the sign-in page's script: the development form asks the API to mint a token, the other form
// takes a pasted one; either is kept (lib/session.ts) and the buyer goes back where they came from.
import { api } from './lib/api';
import { byId } from './lib/page';
import { currentSession, renderSessionBar, signIn } from './lib/session';

/** Where to go after signing in: a path on this site only, never another origin. */
function nextPath(): string {
  const next = new URLSearchParams(location.search).get('next');
  return next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

const error = byId('sign-in-error');

function signedIn(token: string): void {
  signIn(token);
  location.assign(nextPath());
}

function showCurrent(): void {
  const session = currentSession();
  byId('signed-in-as').textContent = session
    ? `Signed in as ${session.userId} (${session.role}).`
    : 'Not signed in.';
}

const devForm = document.getElementById('dev-sign-in') as HTMLFormElement | null;
devForm?.addEventListener('submit', async (submit) => {
  submit.preventDefault();
  error.textContent = '';
  const form = new FormData(devForm);
  try {
    const { body } = await api<{ token: string }>('POST', '/dev/sign-in', {
      body: { userId: String(form.get('userId')).trim(), role: String(form.get('role')) },
    });
    signedIn(body.token);
  } catch (failure) {
    error.textContent = `Could not sign in: ${(failure as Error).message}`;
  }
});

const tokenForm = byId<HTMLFormElement>('token-sign-in');
tokenForm.addEventListener('submit', (submit) => {
  submit.preventDefault();
  error.textContent = '';
  try {
    signedIn(String(new FormData(tokenForm).get('token')));
  } catch (failure) {
    error.textContent = `Could not sign in: ${(failure as Error).message}`;
  }
});

renderSessionBar();
showCurrent();
