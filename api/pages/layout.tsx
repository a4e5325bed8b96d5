// Owns the frame every page shares: the document head, the header with its navigation and sign-in
// status, the live region screen readers hear, the page's data for its script, and the security headers.
import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Entry } from '../../web/build';

// Everything from this origin; no inline script runs (page data is JSON, not code).
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** JSON inside a script element: `<` escaped so no value can close the element. */
function scriptJson(data: unknown): string {
  return JSON.stringify(data).replace(/</g, '\\u003c');
}

interface LayoutProps {
  title: string;
  /** The page's script under /assets/. */
  entry: Entry;
  /** What the script needs that the server already knows. */
  data?: unknown;
  children: Child;
}

function Layout({ title, entry, data, children }: LayoutProps) {
  return (
    <>
      {raw('<!doctype html>')}
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{`${title} · Boxoffice`}</title>
          <link rel="stylesheet" href="/assets/styles.css" />
          <script type="module" src={`/assets/${entry}.js`} />
        </head>
        <body>
          <a class="skip-link" href="#main">
            Skip to content
          </a>
          <header class="site-header">
            <a class="brand" href="/">
              Boxoffice
            </a>
            <nav aria-label="Site">
              <ul>
                <li>
                  <a href="/">Events</a>
                </li>
                <li>
                  <a href="/docs">API docs</a>
                </li>
              </ul>
            </nav>
            {/* Filled by the page's script from the stored token: who is signed in, or a sign-in link. */}
            <div id="session" class="session">
              <a href="/sign-in">Sign in</a>
            </div>
          </header>
          <main id="main" tabindex={-1}>
            {children}
          </main>
          <div id="announcer" class="visually-hidden" aria-live="polite" aria-atomic="true" />
          {data !== undefined && (
            <script
              type="application/json"
              id="page-data"
              dangerouslySetInnerHTML={{ __html: scriptJson(data) }}
            />
          )}
        </body>
      </html>
    </>
  );
}

/** Answers with a page in the shared frame. */
export function renderPage(c: Context, props: LayoutProps, status: 200 | 404 = 200) {
  c.header('Content-Security-Policy', contentSecurityPolicy);
  c.header('Referrer-Policy', 'same-origin');
  return c.html(<Layout {...props} />, status);
}

/** The page for an id that names nothing (an unknown event): a 404 a person can read. */
export function notFoundPage(c: Context, what: string) {
  return renderPage(
    c,
    {
      title: 'Not found',
      entry: 'home',
      children: (
        <>
          <h1>Not found</h1>
          <p>{`There is no ${what}.`}</p>
          <p>
            <a href="/">See all events</a>
          </p>
        </>
      ),
    },
    404,
  );
}
