import type { ReactNode } from "react";
import { BUTTON_DANGER, BUTTON_SECONDARY } from "./formStyles.ts";

const DIALOG = "rounded-md border border-red-500 bg-red-950/60 p-3";

/** The inline "are you sure?" box of a destructive action: the question, a danger button that takes focus, and Cancel. */
export function ConfirmDialog({
  question,
  confirmLabel,
  busy,
  onConfirm,
  onCancel,
  spaced = false,
}: {
  question: ReactNode;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  /** Whether the box keeps its own top margin (`mt-3`). */
  spaced?: boolean;
}) {
  return (
    <div role="alertdialog" aria-label="Confirm" className={spaced ? `mt-3 ${DIALOG}` : DIALOG}>
      <p className="text-base text-red-100">{question}</p>
      <div className="mt-3 flex flex-wrap gap-3">
        <button
          type="button"
          autoFocus
          disabled={busy}
          onClick={onConfirm}
          className={BUTTON_DANGER}
        >
          {confirmLabel}
        </button>
        <button type="button" onClick={onCancel} className={BUTTON_SECONDARY}>
          Cancel
        </button>
      </div>
    </div>
  );
}
