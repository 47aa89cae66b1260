/**
 * The Settings screen (`/settings`): account-wide settings, for now the "Webhooks" section.
 */
import { WebhooksSection } from './WebhooksSection';

export function SettingsPage() {
  return (
    <main id="main" className="page">
      <div className="page-head">
        <h1>Settings</h1>
      </div>
      <WebhooksSection />
    </main>
  );
}
