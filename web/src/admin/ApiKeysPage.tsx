import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type SubmitEvent } from "react";
import type { ApiKey, ApiKeyCreated, Role } from "../api/types.ts";
import { CopyButton } from "../components/CopyButton.tsx";
import { Pill } from "../components/Pill.tsx";
import {
  BUTTON_DANGER,
  BUTTON_PRIMARY,
  INPUT,
  LABEL,
  WARNING_BOX,
} from "../components/formStyles.ts";
import { ConfirmDialog } from "../components/ConfirmDialog.tsx";
import { TextInput } from "../components/inputs.tsx";
import { useApi } from "../context.ts";
import {
  CardForm,
  errorText,
  formatTimestamp,
  InlineError,
  PageHeading,
  RoleSelect,
  useServerCall,
} from "./common.tsx";

const API_KEYS_KEY = ["api-keys"] as const;

export function ApiKeysPage() {
  const api = useApi();
  const keys = useQuery({ queryKey: API_KEYS_KEY, queryFn: ({ signal }) => api.apiKeys(signal) });
  // The new key lives only here, in memory, until "Done" (or leaving the page).
  const [created, setCreated] = useState<ApiKeyCreated | null>(null);

  return (
    <div className="mx-auto max-w-5xl">
      <PageHeading intro="Keys let other systems (site gateways, integrations) call the Vigil API.">
        API keys
      </PageHeading>
      {created === null ? (
        <CreateKeyForm onCreated={setCreated} />
      ) : (
        <CreatedKey
          created={created}
          onDone={() => {
            setCreated(null);
          }}
        />
      )}
      <section aria-labelledby="keys-list-heading" className="mt-6">
        <h2 id="keys-list-heading" className="mb-2 text-xl font-semibold text-white">
          Keys
        </h2>
        {keys.isPending && <p role="status">Loading keys…</p>}
        <InlineError
          error={keys.isError ? errorText(keys.error, "Could not load the API keys") : null}
        />
        {keys.data?.length === 0 && <p className="text-slate-300">No API keys yet.</p>}
        <ul className="space-y-3">
          {keys.data?.map((key) => (
            <KeyRow key={key.id} apiKey={key} />
          ))}
        </ul>
      </section>
    </div>
  );
}

function CreateKeyForm({ onCreated }: { onCreated: (created: ApiKeyCreated) => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const { busy, error, run } = useServerCall();

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    run(() => api.createApiKey(name.trim(), role), {
      done: (created) => {
        setName("");
        void queryClient.invalidateQueries({ queryKey: API_KEYS_KEY });
        onCreated(created);
      },
      refused: "Could not create the key",
    });
  };

  return (
    <CardForm headingId="key-create-heading" title="Create a key" onSubmit={submit}>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <label className={LABEL}>
          Name
          <TextInput
            name="key-name"
            required
            maxLength={100}
            autoComplete="off"
            placeholder="edge site-12"
            value={name}
            onChange={setName}
          />
        </label>
        <RoleSelect value={role} onChange={setRole} />
      </div>
      <InlineError error={error} />
      <button type="submit" disabled={busy} className={`mt-4 ${BUTTON_PRIMARY}`}>
        {busy ? "Creating…" : "Create key"}
      </button>
    </CardForm>
  );
}

function CreatedKey({ created, onDone }: { created: ApiKeyCreated; onDone: () => void }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);
  return (
    <section
      aria-labelledby="key-created-heading"
      className="rounded-xl border-2 border-amber-400 bg-slate-900 p-4 sm:p-5"
    >
      <h2
        id="key-created-heading"
        ref={headingRef}
        tabIndex={-1}
        className="text-xl font-semibold text-white"
      >
        Key “{created.name}” created
      </h2>
      <p role="alert" className={`mt-3 ${WARNING_BOX}`}>
        <strong>Copy this key now.</strong> It is shown only once: Vigil keeps just a hash of it and
        cannot show it again. If it is lost, revoke it and create a new one.
      </p>
      <label className={`mt-4 ${LABEL}`}>
        API key
        <input
          data-testid="apikey-created-key"
          readOnly
          value={created.key}
          onFocus={(e) => {
            e.target.select();
          }}
          className={`${INPUT} font-mono`}
        />
      </label>
      <div className="mt-3 flex flex-wrap gap-3">
        <CopyButton text={created.key} label="Copy key" />
        <button type="button" onClick={onDone} className={BUTTON_PRIMARY}>
          Done, I have stored it
        </button>
      </div>
    </section>
  );
}

function KeyRow({ apiKey }: { apiKey: ApiKey }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const { busy, error, run } = useServerCall();
  const revoked = apiKey.revoked_at !== null;

  const revoke = () => {
    run(() => api.revokeApiKey(apiKey.id), {
      settled: () => {
        setConfirming(false);
      },
      done: () => {
        void queryClient.invalidateQueries({ queryKey: API_KEYS_KEY });
      },
      refused: "Could not revoke the key",
    });
  };

  return (
    <li
      data-testid="apikey-row"
      data-key-id={apiKey.id}
      data-revoked={revoked}
      className="rounded-xl border border-slate-700 bg-slate-900 p-3 sm:p-4"
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <span className="text-lg font-semibold break-all text-white">{apiKey.name}</span>
        <code className="rounded bg-slate-800 px-1.5 py-0.5 font-mono text-sm text-slate-200">
          {apiKey.prefix}…
        </code>
        <span className="rounded bg-slate-800 px-1.5 py-0.5 text-sm text-slate-200 capitalize">
          {apiKey.role}
        </span>
        {revoked ? <Pill tone="muted">Revoked</Pill> : <Pill tone="good">Active</Pill>}
        {!revoked && !confirming && (
          <button
            type="button"
            onClick={() => {
              setConfirming(true);
            }}
            className={`ml-auto ${BUTTON_DANGER}`}
          >
            Revoke…<span className="sr-only"> {apiKey.name}</span>
          </button>
        )}
      </div>
      <dl className="mt-2 grid grid-cols-1 gap-x-4 gap-y-1 text-sm text-slate-300 sm:grid-cols-3">
        <div>
          <dt className="inline text-slate-400">Created </dt>
          <dd className="inline">
            {formatTimestamp(apiKey.created_at)}
            {apiKey.created_by !== null && ` by ${apiKey.created_by}`}
          </dd>
        </div>
        <div>
          <dt className="inline text-slate-400">Last used </dt>
          <dd className="inline">
            {apiKey.last_used_at === null ? "never" : formatTimestamp(apiKey.last_used_at)}
          </dd>
        </div>
        {revoked && (
          <div>
            <dt className="inline text-slate-400">Revoked </dt>
            <dd className="inline">{formatTimestamp(apiKey.revoked_at)}</dd>
          </div>
        )}
      </dl>
      {confirming && (
        <ConfirmDialog
          spaced
          question={<>Revoke “{apiKey.name}”? Anything using it stops working at once.</>}
          confirmLabel="Yes, revoke"
          busy={busy}
          onConfirm={revoke}
          onCancel={() => {
            setConfirming(false);
          }}
        />
      )}
      <InlineError error={error} />
    </li>
  );
}
