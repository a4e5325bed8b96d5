// Owns the script of the pages that need no more than the header: the home page's sign-in status.
import { renderSessionBar } from './lib/session';

renderSessionBar();
