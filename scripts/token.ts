// `npm run token -- <userId> <buyer|organizer|support> [expiresIn]`: mints a dev bearer token.
import { mintToken, type Role, roles } from '../api/auth';

const [userId, role, expiresIn = '12h'] = process.argv.slice(2);
const secret = process.env.AUTH_JWT_SECRET || 'dev-secret-change-me-please';
if (!userId || !roles.includes(role as Role)) {
  process.stderr.write(`usage: npm run token -- <userId> <${roles.join('|')}> [expiresIn, e.g. 12h]\n`);
  process.exit(2);
}
process.stdout.write(`${await mintToken(secret, userId, role as Role, expiresIn)}\n`);
