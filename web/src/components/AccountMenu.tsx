import { useId, useRef } from "react";
import type { User } from "../api/types.ts";
import { usePopover } from "./usePopover.ts";

/** The user's name and role; opens a small menu with their account page (two-factor sign-in). */
export function AccountMenu({ user, onOpenAccount }: { user: User; onOpenAccount: () => void }) {
  const menuId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const firstItemRef = useRef<HTMLButtonElement>(null);
  const { open, setOpen, rootRef } = usePopover({
    focusOnOpen: firstItemRef,
    focusOnEscape: buttonRef,
  });

  return (
    <div ref={rootRef} className="relative">
      <button
        ref={buttonRef}
        type="button"
        data-testid="account-menu"
        aria-haspopup="true"
        aria-expanded={open}
        aria-controls={menuId}
        onClick={() => {
          setOpen(!open);
        }}
        className="rounded-md px-2 py-1 text-base text-slate-300 hover:bg-slate-800"
      >
        <span className="font-semibold text-white">{user.username}</span>{" "}
        <span className="rounded bg-slate-800 px-1.5 py-0.5 text-sm text-slate-300 capitalize">
          {user.role}
        </span>{" "}
        <span aria-hidden="true">▾</span>
      </button>
      {open && (
        <div
          id={menuId}
          className="absolute right-0 z-20 mt-1 w-64 rounded-md border border-slate-600 bg-slate-900 p-1 shadow-2xl"
        >
          <button
            ref={firstItemRef}
            type="button"
            data-testid="account-mfa"
            onClick={() => {
              setOpen(false);
              onOpenAccount();
            }}
            className="block w-full rounded px-3 py-2 text-left text-base text-slate-100 hover:bg-slate-800"
          >
            Account and two-factor sign-in
          </button>
        </div>
      )}
    </div>
  );
}
