/** Shared classes of forms and buttons (dark, high contrast, large touch targets). */

export const INPUT =
  "mt-1 block w-full rounded-md border border-slate-600 bg-slate-950 px-3 py-2 text-base text-white placeholder:text-slate-500 focus:border-amber-400";

export const LABEL = "block text-base font-medium text-slate-200";

export const BUTTON_PRIMARY =
  "rounded-md bg-amber-400 px-4 py-2 text-base font-bold text-black hover:bg-amber-300 disabled:cursor-wait disabled:opacity-60";

export const BUTTON_SECONDARY =
  "rounded-md border border-slate-600 px-3 py-1.5 text-base font-semibold text-slate-100 hover:bg-slate-800 disabled:opacity-60";

export const BUTTON_DANGER =
  "rounded-md border border-red-500 bg-red-950 px-3 py-1.5 text-base font-semibold text-red-100 hover:bg-red-900 disabled:opacity-60";

export const ERROR_BOX =
  "rounded-md border border-red-500 bg-red-950 px-3 py-2 text-base font-medium text-red-100";

export const WARNING_BOX =
  "rounded-md border border-amber-500/70 bg-amber-950 px-3 py-2 text-base text-amber-100";

export const CARD = "rounded-xl border border-slate-700 bg-slate-900 p-4 sm:p-5";

/** A row of a list of stored things (rules, zones, people, watchlists). */
export const LIST_ROW = "rounded-lg border border-slate-700 bg-slate-900 px-3 py-2";

/** A filter's label (filters sit in a row, smaller than a form's). */
export const FILTER_LABEL = "text-base font-medium text-slate-200";

/** A filter's <select>. */
export const SELECT =
  "mt-1 block w-full rounded-md border border-slate-600 bg-slate-950 px-3 py-2 text-base text-white";
