/**
 * The uploads under way and the refused ones, shown above the document body: one labelled progress bar
 * per file ("Uploading photo.png", 0–100) and one dismissible error alert per refusal.
 */
import { Icon } from '../../../ui/Icon';
import type { UploadFailure, UploadItem } from './useUploads';

interface Props {
  uploads: readonly UploadItem[];
  failures: readonly UploadFailure[];
  onDismiss: (key: string) => void;
}

export function UploadProgress({ uploads, failures, onDismiss }: Props) {
  if (uploads.length === 0 && failures.length === 0) return null;
  return (
    <div className="uploads" data-testid="uploads">
      {uploads.map((u) => (
        <div key={u.key} className="upload-item" data-testid="upload-progress">
          <span className="upload-name">{u.name}</span>
          <div
            className="upload-bar"
            role="progressbar"
            aria-label={`Uploading ${u.name}`}
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={u.percent}
          >
            <div className="upload-bar-fill" style={{ width: `${u.percent}%` }} />
          </div>
          <span className="upload-percent" aria-hidden="true">
            {u.percent}%
          </span>
        </div>
      ))}
      {failures.map((f) => (
        <div key={f.key} className="alert alert-error upload-error" role="alert" data-testid="upload-error">
          <span>{f.message}</span>
          <button type="button" className="btn btn-ghost btn-icon" aria-label={`Dismiss the message about ${f.name}`} onClick={() => onDismiss(f.key)}>
            <Icon name="close" size={16} />
          </button>
        </div>
      ))}
    </div>
  );
}
