// Owns the sign-in page's markup (`/sign-in`): in development a form that mints a token for any user and
// role (POST /dev/sign-in); always a field to paste a bearer token from the identity provider. The token
// is kept in the browser (web/lib/session.ts) and sent as Authorization: Bearer by the pages' scripts.
import type { Context } from 'hono';
import { roles } from '../auth';
import { renderPage } from './layout';

export function signInPage(c: Context, options: { devSignIn: boolean }) {
  return renderPage(c, {
    title: 'Sign in',
    entry: 'sign-in',
    children: (
      <>
        <h1>Sign in</h1>
        <p id="signed-in-as" role="status" />
        {options.devSignIn && (
          <form id="dev-sign-in" class="panel form">
            <h2>Development sign-in</h2>
            <p class="hint">
              Mints a bearer token for any user and role, as <code>npm run token</code> does. Absent with
              NODE_ENV=production.
            </p>
            <label for="user-id">User id</label>
            <input
              id="user-id"
              name="userId"
              required
              maxlength={200}
              autocomplete="username"
              value="alice"
            />
            <label for="role">Role</label>
            <select id="role" name="role">
              {roles.map((role) => (
                <option value={role}>{role}</option>
              ))}
            </select>
            <button type="submit" class="primary">
              Sign in
            </button>
          </form>
        )}
        <form id="token-sign-in" class="panel form">
          <h2>Sign in with a token</h2>
          <label for="token">Bearer token (a JWT from your identity provider)</label>
          <textarea id="token" name="token" rows={4} required spellcheck={false} />
          <button type="submit">Use this token</button>
        </form>
        <p id="sign-in-error" class="error" role="alert" />
      </>
    ),
  });
}
