import type { ComponentProps } from "react";
import type { Camera, Severity } from "../api/types.ts";
import { INPUT } from "./formStyles.ts";
import { SEVERITY } from "./styles.ts";

/** One choice of a <select>: its value and what it shows. */
export type Option<T extends string = string> = readonly [value: T, text: string];

/** A <select> of `options` that reports the chosen value. */
export function Select<T extends string>({
  options,
  onChange,
  className = INPUT,
  ...props
}: Omit<ComponentProps<"select">, "onChange" | "children"> & {
  options: readonly Option<T>[];
  onChange: (value: T) => void;
  "data-testid"?: string | undefined;
}) {
  return (
    <select
      {...props}
      onChange={(e) => {
        onChange(e.target.value as T);
      }}
      className={className}
    >
      {options.map(([value, text]) => (
        <option key={value} value={value}>
          {text}
        </option>
      ))}
    </select>
  );
}

/** An <input> that reports its text. */
export function TextInput({
  onChange,
  className = INPUT,
  ...props
}: Omit<ComponentProps<"input">, "onChange"> & {
  onChange: (value: string) => void;
  "data-testid"?: string | undefined;
}) {
  return (
    <input
      {...props}
      onChange={(e) => {
        onChange(e.target.value);
      }}
      className={className}
    />
  );
}

/** Cameras as choices by name, after an optional "every camera" choice (value ""). */
export function cameraOptions(cameras: readonly Camera[] | undefined, all?: string): Option[] {
  const each = (cameras ?? []).map((c): Option => [c.id, c.name]);
  return all === undefined ? each : [["", all], ...each];
}

/** Severities as choices, in `SEVERITY` order (most severe first). */
export const SEVERITY_OPTIONS: readonly Option<Severity>[] = (
  Object.keys(SEVERITY) as Severity[]
).map((s) => [s, SEVERITY[s].label]);

/** A checkbox that reports whether it is ticked. */
export function Checkbox({
  onChange,
  className = "size-5 accent-amber-400",
  ...props
}: Omit<ComponentProps<"input">, "onChange" | "type"> & {
  onChange: (checked: boolean) => void;
  "data-testid"?: string | undefined;
}) {
  return (
    <input
      type="checkbox"
      {...props}
      onChange={(e) => {
        onChange(e.target.checked);
      }}
      className={className}
    />
  );
}

/** `values` with `value` added (on) or taken out (off). */
export function toggled<T>(values: readonly T[], value: T, on: boolean): T[] {
  return on ? [...values, value] : values.filter((v) => v !== value);
}
