/**
 * Banners above the editor: view-only access (and a live demotion or promotion), offline or reconnecting,
 * and why editing stopped (session ended, access removed, document moved to the trash or deleted, too large,
 * outdated editor).
 */
import type { SaveStatus } from '../../collab/saveState';
import type { CloseReason } from '../../collab/session';
import { Banner } from '../../ui/Banner';

/** A role change that happened while the document was open. */
export type RoleNotice = 'demoted' | 'promoted' | null;

interface Props {
  isViewer: boolean;
  roleNotice?: RoleNotice;
  status: SaveStatus;
  closeReason: CloseReason | null;
}

export function EditorBanners({ isViewer, roleNotice = null, status, closeReason }: Props) {
  return (
    <div className="banners">
      {isViewer && !closeReason && (
        <Banner kind="info" testId="readonly-banner">
          {roleNotice === 'demoted'
            ? 'You can now only view this document: the owner changed your role. Edits made after the change were not saved.'
            : 'You have view-only access. You can read along live, but you cannot edit.'}
        </Banner>
      )}
      {!isViewer && roleNotice === 'promoted' && !closeReason && (
        <Banner kind="info" testId="promoted-banner">
          You can edit this document again.
        </Banner>
      )}
      {closeReason === 'outdated' && (
        <Banner
          kind="error"
          testId="outdated-banner"
          action={
            <button type="button" className="btn btn-primary" onClick={() => window.location.reload()}>
              Reload
            </button>
          }
        >
          A newer version of Quire is available. Reload the page to keep editing — your changes are kept on this
          device.
        </Banner>
      )}
      {closeReason === 'tooLarge' && (
        <Banner kind="error" testId="too-large-banner">
          This document has reached its size limit, so the server stopped accepting changes. Your last edits are kept
          on this device; remove some content in a copy or ask an administrator.
        </Banner>
      )}
      {closeReason === 'forbidden' && (
        <Banner kind="error" testId="forbidden-banner">
          Your access to this document was removed. The editor is now read-only.
        </Banner>
      )}
      {closeReason === 'notFound' && (
        <Banner kind="error" testId="deleted-banner">
          This document was moved to the trash by its owner.
        </Banner>
      )}
      {!closeReason && status === 'offline' && (
        <Banner kind="warning" testId="offline-banner">
          You are offline. Keep writing — your changes are saved on this device and will sync when the connection
          is back.
        </Banner>
      )}
      {!closeReason && status === 'reconnecting' && (
        <Banner kind="warning" testId="reconnecting-banner">
          Connection lost. Reconnecting… Your changes are kept on this device.
        </Banner>
      )}
    </div>
  );
}
