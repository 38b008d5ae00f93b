import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import type { AuditOutcome } from "../api/types.ts";
import { Pill } from "../components/Pill.tsx";
import { BUTTON_PRIMARY, BUTTON_SECONDARY, CARD, LABEL } from "../components/formStyles.ts";
import { type Option, Select, TextInput } from "../components/inputs.tsx";
import type { Tone } from "../components/styles.ts";
import { ColumnHeads } from "../components/TitledSection.tsx";
import { useApi } from "../context.ts";
import { errorText, formatTimestamp, InlineError, PageHeading } from "./common.tsx";

interface Filter {
  actor: string;
  action: string;
  outcome: AuditOutcome | "";
}

const OUTCOMES: readonly Option<Filter["outcome"]>[] = [
  ["", "Any"],
  ["success", "Success"],
  ["failure", "Failure"],
  ["denied", "Denied"],
];

const NO_FILTER: Filter = { actor: "", action: "", outcome: "" };

const OUTCOME_TONE: Record<string, Tone> = { success: "good", failure: "bad", denied: "warn" };

function detailsText(details: Record<string, unknown>): string {
  return Object.keys(details).length === 0 ? "" : JSON.stringify(details);
}

export function AuditPage() {
  const api = useApi();
  const [draft, setDraft] = useState<Filter>(NO_FILTER);
  const [filter, setFilter] = useState<Filter>(NO_FILTER);
  // before_id of each page shown so far: the last one is the current page (null: newest).
  const [pages, setPages] = useState<(number | null)[]>([null]);
  const beforeId = pages.at(-1) ?? null;
  const audit = useQuery({
    queryKey: ["audit", filter, beforeId],
    queryFn: ({ signal }) => api.audit({ ...filter, beforeId }, signal),
    placeholderData: keepPreviousData,
  });
  const next = audit.data?.next_before_id ?? null;

  const apply = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setFilter(draft);
    setPages([null]);
  };

  return (
    <div className="mx-auto max-w-7xl">
      <PageHeading intro="Every sign-in, change and refusal, newest first. The log cannot be edited.">
        Audit log
      </PageHeading>
      <form onSubmit={apply} aria-label="Filter the audit log" className={CARD}>
        <div className="grid grid-cols-1 gap-4 sm:grid-cols-4 sm:items-end">
          <label className={LABEL}>
            Actor
            <TextInput
              name="actor"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={150}
              value={draft.actor}
              onChange={(value) => {
                setDraft({ ...draft, actor: value });
              }}
            />
          </label>
          <label className={LABEL}>
            Action starts with
            <TextInput
              name="action"
              autoCapitalize="none"
              spellCheck={false}
              maxLength={64}
              placeholder="auth."
              value={draft.action}
              onChange={(value) => {
                setDraft({ ...draft, action: value });
              }}
            />
          </label>
          <label className={LABEL}>
            Outcome
            <Select
              name="outcome"
              value={draft.outcome}
              options={OUTCOMES}
              onChange={(outcome) => {
                setDraft({ ...draft, outcome });
              }}
            />
          </label>
          <div className="flex gap-3">
            <button type="submit" className={BUTTON_PRIMARY}>
              Apply
            </button>
            <button
              type="button"
              onClick={() => {
                setDraft(NO_FILTER);
                setFilter(NO_FILTER);
                setPages([null]);
              }}
              className={BUTTON_SECONDARY}
            >
              Clear
            </button>
          </div>
        </div>
      </form>

      <InlineError
        error={audit.isError ? errorText(audit.error, "Could not load the audit log") : null}
      />
      {audit.isPending && (
        <p role="status" className="mt-4">
          Loading the audit log…
        </p>
      )}
      {audit.data !== undefined && (
        <div
          tabIndex={0}
          aria-label="Audit entries"
          className="mt-4 overflow-x-auto rounded-xl border border-slate-700"
        >
          <table className="w-full min-w-[48rem] text-left text-sm">
            <thead className="bg-slate-900 text-slate-300">
              <tr>
                <ColumnHeads
                  labels={["Time", "Actor", "Action", "Outcome", "Resource", "IP", "Details"]}
                  className="px-3 py-2 font-semibold"
                />
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-800">
              {audit.data.items.map((entry) => (
                <tr
                  key={entry.id}
                  data-testid="audit-row"
                  data-audit-id={entry.id}
                  className="align-top"
                >
                  <td className="px-3 py-2 whitespace-nowrap text-slate-200">
                    {formatTimestamp(entry.at)}
                  </td>
                  <td className="px-3 py-2 break-words text-white">{entry.actor ?? "—"}</td>
                  <td className="px-3 py-2 font-mono text-slate-100">{entry.action}</td>
                  <td className="px-3 py-2">
                    <Pill tone={OUTCOME_TONE[entry.outcome] ?? "muted"}>{entry.outcome}</Pill>
                  </td>
                  <td className="px-3 py-2 font-mono break-words text-slate-300">
                    {entry.resource ?? "—"}
                  </td>
                  <td className="px-3 py-2 font-mono text-slate-300">{entry.ip ?? "—"}</td>
                  <td className="px-3 py-2 font-mono break-words text-slate-300">
                    {detailsText(entry.details)}
                  </td>
                </tr>
              ))}
              {audit.data.items.length === 0 && (
                <tr>
                  <td colSpan={7} className="px-3 py-4 text-slate-300">
                    No entries match.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
      <div className="mt-4 flex flex-wrap gap-3">
        <button
          type="button"
          disabled={pages.length <= 1}
          onClick={() => {
            setPages(pages.slice(0, -1));
          }}
          className={BUTTON_SECONDARY}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={next === null || audit.isPlaceholderData}
          onClick={() => {
            setPages([...pages, next]);
          }}
          className={BUTTON_SECONDARY}
        >
          Older
        </button>
        {audit.isFetching && (
          <span role="status" className="self-center text-slate-400">
            Loading…
          </span>
        )}
      </div>
    </div>
  );
}
