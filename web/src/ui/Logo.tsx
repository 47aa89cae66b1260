/**
 * The Quire logo mark.
 */
export function Logo() {
  return (
    <svg className="logo" width="28" height="28" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" fill="currentColor" />
      <path d="M9 8h10a6 6 0 0 1 0 12h-2l5 5h-4l-5-5h-4z" fill="#fff" />
    </svg>
  );
}
