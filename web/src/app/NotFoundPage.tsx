/**
 * The screen for an unknown address.
 */
import { Link } from '../ui/Link';

export function NotFoundPage() {
  return (
    <main id="main" className="page narrow">
      <h1>Page not found</h1>
      <p>
        <Link href="/">Back to your documents</Link>
      </p>
    </main>
  );
}
