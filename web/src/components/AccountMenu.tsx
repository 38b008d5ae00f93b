import { useEffect, useId, useRef, useState } from "react";
import type { User } from "../api/types.ts";

/** The user's name and role; opens a small menu with their account page (two-factor sign-in). */
export function AccountMenu({ user, onOpenAccount }: { user: User; onOpenAccount: () => void }) {
  const [open, setOpen] = useState(false);
  const menuId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement>(null);
  const firstItemRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    firstItemRef.current?.focus();
    const onPointer = (event: PointerEvent) => {
      if (!(event.target instanceof Node) || rootRef.current?.contains(event.target) !== true) {
        setOpen(false);
      }
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        buttonRef.current?.focus();
      }
    };
    document.addEventListener("pointerdown", onPointer);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", onPointer);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);

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
