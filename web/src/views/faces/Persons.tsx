import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState, type SubmitEvent } from "react";
import { SessionExpiredError } from "../../api/client.ts";
import { BUTTON_DANGER, BUTTON_PRIMARY, CARD, INPUT, LABEL } from "../../components/formStyles.ts";
import { errorText, FieldError, QueryState, Section } from "../common.tsx";
import { errorAt, fieldErrorsOf, type FieldErrors } from "../fieldErrors.ts";
import { useViewsApi } from "../useViewsApi.ts";

export const PERSONS_KEY = ["persons"] as const;

/** Enrolled people (the faces watchlists look for): list and enrol form. */
export function Persons({ canEdit }: { canEdit: boolean }) {
  const views = useViewsApi();
  const queryClient = useQueryClient();
  const persons = useQuery({
    queryKey: PERSONS_KEY,
    queryFn: ({ signal }) => views.persons(signal),
  });
  const [deleteError, setDeleteError] = useState<string | null>(null);
  return (
    <Section id="persons" title="Enrolled people" intro="People whose faces watchlists look for.">
      {canEdit && <EnrolForm />}
      <div className="mt-4">
        <QueryState
          what="enrolled people"
          isPending={persons.isPending}
          error={persons.error}
          onRetry={() => void persons.refetch()}
          isEmpty={persons.data?.length === 0}
          empty="Nobody is enrolled yet."
        >
          {deleteError !== null && (
            <p role="alert" className="mb-2 font-semibold text-red-300">
              {deleteError}
            </p>
          )}
          <ul className="space-y-2">
            {persons.data?.map((person) => (
              <li
                key={person.id}
                data-testid="person-row"
                data-person-id={person.id}
                className="flex flex-wrap items-center justify-between gap-2 rounded-lg border border-slate-700 bg-slate-900 px-3 py-2"
              >
                <div>
                  <p className="text-lg font-semibold text-white">{person.name}</p>
                  <p className="text-sm text-slate-400">
                    {person.photos} photos
                    {person.notes ? ` · ${person.notes}` : ""}
                  </p>
                </div>
                {canEdit && (
                  <button
                    type="button"
                    className={BUTTON_DANGER}
                    onClick={() => {
                      if (!window.confirm(`Remove ${person.name} and their photos?`)) return;
                      setDeleteError(null);
                      views.deletePerson(person.id).then(
                        () => void queryClient.invalidateQueries({ queryKey: PERSONS_KEY }),
                        (err: unknown) => {
                          if (!(err instanceof SessionExpiredError))
                            setDeleteError(errorText(err, `Could not remove ${person.name}`));
                        },
                      );
                    }}
                  >
                    Remove
                  </button>
                )}
              </li>
            ))}
          </ul>
        </QueryState>
      </div>
    </Section>
  );
}

/** Name, notes and photos; the server's complaints are shown next to the photo they are about. */
export function EnrolForm() {
  const views = useViewsApi();
  const queryClient = useQueryClient();
  const ids = { name: useId(), notes: useId(), photos: useId() };
  const fileRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState("");
  const [notes, setNotes] = useState("");
  const [photos, setPhotos] = useState<File[]>([]);
  const [busy, setBusy] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setBusy(true);
    setErrors({});
    setError(null);
    setDone(null);
    views.enrolPerson(name.trim(), notes, photos).then(
      (person) => {
        setBusy(false);
        setDone(`${person.name} enrolled.`);
        setName("");
        setNotes("");
        setPhotos([]);
        if (fileRef.current !== null) fileRef.current.value = "";
        void queryClient.invalidateQueries({ queryKey: PERSONS_KEY });
      },
      (err: unknown) => {
        setBusy(false);
        if (err instanceof SessionExpiredError) return;
        const fields = fieldErrorsOf(err);
        setErrors(fields);
        // Field errors are shown at their fields; the summary names the request's verdict.
        setError(errorText(err, "Could not enrol"));
      },
    );
  };
  const photoError = (i: number) => errors[`photos.${String(i)}`] ?? null;
  const nameError = errorAt(errors, "name");
  return (
    <form
      onSubmit={submit}
      aria-labelledby="enrol-heading"
      className={CARD}
      data-testid="enrol-form"
    >
      <h3 id="enrol-heading" className="mb-3 text-lg font-semibold text-white">
        Enrol a person
      </h3>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2">
        <div>
          <label htmlFor={ids.name} className={LABEL}>
            Name
          </label>
          <input
            id={ids.name}
            data-testid="enrol-name"
            required
            maxLength={200}
            value={name}
            aria-invalid={nameError !== null}
            aria-describedby={nameError !== null ? `${ids.name}-error` : undefined}
            onChange={(e) => {
              setName(e.target.value);
            }}
            className={INPUT}
          />
          <FieldError id={`${ids.name}-error`} error={nameError} />
        </div>
        <div>
          <label htmlFor={ids.notes} className={LABEL}>
            Notes (optional)
          </label>
          <input
            id={ids.notes}
            value={notes}
            maxLength={2000}
            onChange={(e) => {
              setNotes(e.target.value);
            }}
            className={INPUT}
          />
        </div>
      </div>
      <div className="mt-4">
        <label htmlFor={ids.photos} className={LABEL}>
          Photos of the face (one face each; several angles help)
        </label>
        <input
          id={ids.photos}
          ref={fileRef}
          data-testid="enrol-photos"
          type="file"
          multiple
          required
          accept="image/jpeg,image/png,image/webp"
          onChange={(e) => {
            setPhotos([...(e.target.files ?? [])]);
            setErrors({});
          }}
          className="mt-1 block text-base text-slate-200 file:mr-3 file:rounded-md file:border-0 file:bg-slate-700 file:px-3 file:py-2 file:text-white"
        />
        <FieldError id={`${ids.photos}-error`} error={errors.photos ?? null} />
        {photos.length > 0 && (
          <ul className="mt-2 space-y-1" aria-label="Chosen photos">
            {photos.map((photo, i) => (
              <li
                key={`${photo.name}-${String(i)}`}
                data-testid="enrol-photo"
                className="text-base"
              >
                <span className="text-slate-200">{photo.name}</span>
                {photoError(i) !== null && (
                  <span data-testid="enrol-photo-error" className="ml-2 font-semibold text-red-300">
                    {photoError(i)}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
      </div>
      {error !== null && (
        <p role="alert" className="mt-3 text-base font-semibold text-red-300">
          {error}
        </p>
      )}
      {done !== null && (
        <p role="status" className="mt-3 text-base font-medium text-emerald-300">
          {done}
        </p>
      )}
      <button
        type="submit"
        data-testid="enrol-submit"
        disabled={busy}
        className={`mt-4 ${BUTTON_PRIMARY}`}
      >
        {busy ? "Enrolling…" : "Enrol"}
      </button>
    </form>
  );
}
