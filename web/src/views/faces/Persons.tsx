import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState, type SubmitEvent } from "react";
import { BUTTON_PRIMARY, CARD, LIST_ROW } from "../../components/formStyles.ts";
import { TextInput } from "../../components/inputs.tsx";
import {
  ConfirmButton,
  DoneLine,
  ErrorLine,
  Field,
  QueryList,
  Section,
  useFormRequest,
  useListChange,
} from "../common.tsx";
import { errorAt } from "../fieldErrors.ts";
import { useViewsApi } from "../useViewsApi.ts";

export const PERSONS_KEY = ["persons"] as const;

/** Enrolled people (the faces watchlists look for): list and enrol form. */
export function Persons({ canEdit }: { canEdit: boolean }) {
  const views = useViewsApi();
  const persons = useQuery({
    queryKey: PERSONS_KEY,
    queryFn: ({ signal }) => views.persons(signal),
  });
  const remove = useListChange(PERSONS_KEY);
  return (
    <Section id="persons" title="Enrolled people" intro="People whose faces watchlists look for.">
      {canEdit && <EnrolForm />}
      <div className="mt-4">
        <QueryList
          what="enrolled people"
          query={persons}
          empty="Nobody is enrolled yet."
          header={<ErrorLine error={remove.error} className="mb-2" />}
        >
          {(person) => (
            <li
              key={person.id}
              data-testid="person-row"
              data-person-id={person.id}
              className={`flex flex-wrap items-center justify-between gap-2 ${LIST_ROW}`}
            >
              <div>
                <p className="text-lg font-semibold text-white">{person.name}</p>
                <p className="text-sm text-slate-400">
                  {person.photos} photos
                  {person.photos_to_reenrol
                    ? ` · ${person.photos_to_reenrol} from an older face model: upload them again`
                    : ""}
                  {person.notes ? ` · ${person.notes}` : ""}
                </p>
              </div>
              {canEdit && (
                <ConfirmButton
                  question={`Remove ${person.name} and their photos?`}
                  onConfirm={() => {
                    remove.run(views.deletePerson(person.id), `Could not remove ${person.name}`);
                  }}
                >
                  Remove
                </ConfirmButton>
              )}
            </li>
          )}
        </QueryList>
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
  const { busy, errors, error, clearErrors, send } = useFormRequest();
  const [done, setDone] = useState<string | null>(null);

  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (busy) return;
    setDone(null);
    // Field errors are shown at their fields; the summary names the request's verdict.
    send(
      () => views.enrolPerson(name.trim(), notes, photos),
      "Could not enrol",
      (person) => {
        setDone(`${person.name} enrolled.`);
        setName("");
        setNotes("");
        setPhotos([]);
        if (fileRef.current !== null) fileRef.current.value = "";
        void queryClient.invalidateQueries({ queryKey: PERSONS_KEY });
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
        <Field id={ids.name} label="Name" error={nameError}>
          <TextInput
            id={ids.name}
            data-testid="enrol-name"
            required
            maxLength={200}
            value={name}
            aria-invalid={nameError !== null}
            aria-describedby={nameError !== null ? `${ids.name}-error` : undefined}
            onChange={setName}
          />
        </Field>
        <Field id={ids.notes} label="Notes (optional)">
          <TextInput id={ids.notes} value={notes} maxLength={2000} onChange={setNotes} />
        </Field>
      </div>
      <div className="mt-4">
        <Field
          id={ids.photos}
          label="Photos of the face (one face each; several angles help)"
          error={errors.photos ?? null}
        >
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
              clearErrors();
            }}
            className="mt-1 block text-base text-slate-200 file:mr-3 file:rounded-md file:border-0 file:bg-slate-700 file:px-3 file:py-2 file:text-white"
          />
        </Field>
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
      <ErrorLine error={error} className="mt-3 text-base" />
      <DoneLine text={done} className="mt-3 text-base" />
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
