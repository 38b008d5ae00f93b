import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type SubmitEvent } from "react";
import type { Camera, Role, UserAccount } from "../api/types.ts";
import { BUTTON_PRIMARY, LABEL } from "../components/formStyles.ts";
import { TextInput } from "../components/inputs.tsx";
import { useApi } from "../context.ts";
import {
  CameraChoice,
  CardForm,
  errorText,
  InlineError,
  PageHeading,
  RoleSelect,
  USERS_KEY,
  useServerCall,
} from "./common.tsx";
import { UserRow } from "./UserRow.tsx";

export function UsersPage({ currentUserId }: { currentUserId: string }) {
  const api = useApi();
  const users = useQuery({ queryKey: USERS_KEY, queryFn: ({ signal }) => api.users(signal) });
  // Shares the dashboard's camera poll (same key).
  const cameras = useQuery({ queryKey: ["cameras"], queryFn: ({ signal }) => api.cameras(signal) });

  return (
    <div className="mx-auto max-w-5xl">
      <PageHeading intro="Who may sign in, with which role, and which cameras they see.">
        Users
      </PageHeading>
      <CreateUserForm cameras={cameras.data} />
      <section aria-labelledby="users-list-heading" className="mt-6">
        <h2 id="users-list-heading" className="mb-2 text-xl font-semibold text-white">
          Accounts {users.data !== undefined && `(${users.data.length})`}
        </h2>
        {users.isPending && <p role="status">Loading users…</p>}
        <InlineError
          error={users.isError ? errorText(users.error, "Could not load the users") : null}
        />
        <ul className="space-y-3">
          {users.data?.map((user) => (
            <UserRow
              key={user.id}
              user={user}
              isSelf={user.id === currentUserId}
              cameras={cameras.data}
            />
          ))}
        </ul>
      </section>
    </div>
  );
}

function CreateUserForm({ cameras }: { cameras: Camera[] | undefined }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("operator");
  const [scope, setScope] = useState<string[] | null>(null);
  const { busy, error, run } = useServerCall();
  const [created, setCreated] = useState<string | null>(null);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    run(
      () => {
        setCreated(null);
        const body = { username: username.trim(), password, role };
        return api.createUser(scope === null ? body : { ...body, cameras: scope });
      },
      {
        done: (user: UserAccount) => {
          setCreated(user.username);
          setUsername("");
          setPassword("");
          setScope(null);
          void queryClient.invalidateQueries({ queryKey: USERS_KEY });
        },
        refused: "Could not create the user",
      },
    );
  };

  return (
    <CardForm headingId="user-create-heading" title="Add a user" onSubmit={submit}>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-3">
        <label className={LABEL}>
          Username
          <TextInput
            name="new-username"
            required
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            pattern="[A-Za-z0-9._@\-]{1,150}"
            title="Letters, digits and . _ @ - (up to 150)"
            value={username}
            onChange={setUsername}
          />
        </label>
        <div>
          <label className={LABEL}>
            Password
            <TextInput
              name="new-password"
              type="password"
              required
              minLength={12}
              autoComplete="new-password"
              aria-describedby="new-password-help"
              value={password}
              onChange={setPassword}
            />
          </label>
          <span id="new-password-help" className="mt-1 block text-sm text-slate-400">
            At least 12 characters.
          </span>
        </div>
        <RoleSelect value={role} onChange={setRole} />
      </div>
      <div className="mt-4">
        <CameraChoice cameras={cameras} value={scope} onChange={setScope} />
      </div>
      <InlineError error={error} />
      {created !== null && (
        <p role="status" className="mt-3 text-base font-medium text-emerald-300">
          User {created} created.
        </p>
      )}
      <button
        data-testid="user-create"
        type="submit"
        disabled={busy}
        className={`mt-4 ${BUTTON_PRIMARY}`}
      >
        {busy ? "Creating…" : "Create user"}
      </button>
    </CardForm>
  );
}
