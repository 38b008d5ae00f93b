/** Vigil's mark: an amber shield with an eye at its centre, or (`eye={false}`) a plain dot. */
export function Logo({ className, eye = true }: { className: string; eye?: boolean }) {
  return (
    <svg viewBox="0 0 32 32" className={className} aria-hidden="true">
      <path
        d="M16 3 5 7v8c0 7 4.6 12.4 11 14 6.4-1.6 11-7 11-14V7L16 3Z"
        fill="#0f172a"
        stroke="#fbbf24"
        strokeWidth="2"
      />
      {eye && (
        <path
          d="M8.5 16s2.8-5 7.5-5 7.5 5 7.5 5-2.8 5-7.5 5-7.5-5-7.5-5Z"
          fill="none"
          stroke="#fbbf24"
          strokeWidth="1.8"
        />
      )}
      <circle cx="16" cy="16" r={eye ? "2.3" : "3"} fill="#fbbf24" />
    </svg>
  );
}
