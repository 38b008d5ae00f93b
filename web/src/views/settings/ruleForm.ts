import type { Severity } from "../../api/types.ts";
import type { Point, Rule, RuleInput, RuleType } from "../../api/types.ts";
import { asPoints } from "./geometry.ts";

/** The rule form's fields as typed (numbers as text, so a half-typed value is kept). */
export interface RuleFields {
  id: string;
  name: string;
  type: RuleType;
  /** null: every camera ("*"). */
  cameras: string[] | null;
  zones: string[];
  classes: string;
  schedule: string;
  severity: Severity;
  minConfidence: string;
  minFrames: string;
  clearAfterS: string;
  cooldownS: string;
  enabled: boolean;
  line: Point[];
  direction: "in" | "out" | "both";
  dwellS: string;
  minPeople: string;
  minDurationS: string;
  stillS: string;
}

export const NEW_RULE: RuleFields = {
  id: "",
  name: "",
  type: "zone_intrusion",
  cameras: null,
  zones: [],
  classes: "person",
  schedule: "",
  severity: "high",
  minConfidence: "0.5",
  minFrames: "2",
  clearAfterS: "30",
  cooldownS: "0",
  enabled: true,
  line: [],
  direction: "both",
  dwellS: "300",
  minPeople: "6",
  minDurationS: "10",
  stillS: "60",
};

/** A typed number, or the text itself when it is not one (the server names the field). */
function num(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? Number.NaN : Number(trimmed);
}

/**
 * The rule as the API takes it. Only the fields of the chosen type are sent besides the common
 * ones; a number that does not parse is sent as null, so the server's error names the field.
 */
export function ruleBody(f: RuleFields): RuleInput {
  const n = (text: string) => {
    const value = num(text);
    return Number.isFinite(value) ? value : (null as unknown as number);
  };
  const rule: RuleInput = {
    id: f.id.trim(),
    name: f.name.trim(),
    type: f.type,
    cameras: f.cameras ?? "*",
    zones: f.zones,
    classes: f.classes
      .split(",")
      .map((c) => c.trim())
      .filter((c) => c !== ""),
    schedule: f.schedule === "" ? null : f.schedule,
    severity: f.severity,
    min_confidence: n(f.minConfidence),
    min_frames: n(f.minFrames),
    clear_after_s: n(f.clearAfterS),
    cooldown_s: n(f.cooldownS),
    enabled: f.enabled,
  };
  if (f.type === "line_crossing") {
    const [a, b] = f.line;
    rule.line = a !== undefined && b !== undefined ? [a, b] : null;
    rule.direction = f.direction;
  }
  if (f.type === "loitering") rule.dwell_s = n(f.dwellS);
  if (f.type === "crowd") {
    rule.min_people = n(f.minPeople);
    rule.min_duration_s = n(f.minDurationS);
  }
  if (f.type === "abandoned_object") rule.still_s = n(f.stillS);
  return rule;
}

/** A stored rule back into the form (to edit it). */
export function ruleFields(rule: Rule): RuleFields {
  const s = (v: number | undefined, fallback: string) => (v === undefined ? fallback : String(v));
  return {
    id: rule.id,
    name: rule.name,
    type: rule.type,
    cameras: rule.cameras === "*" ? null : rule.cameras,
    zones: rule.zones ?? [],
    classes: (rule.classes ?? []).join(", "),
    schedule: rule.schedule ?? "",
    severity: rule.severity,
    minConfidence: String(rule.min_confidence),
    minFrames: String(rule.min_frames),
    clearAfterS: String(rule.clear_after_s),
    cooldownS: s(rule.cooldown_s, NEW_RULE.cooldownS),
    enabled: rule.enabled,
    line: rule.line ? asPoints(rule.line) : [],
    direction: rule.direction,
    dwellS: s(rule.dwell_s, NEW_RULE.dwellS),
    minPeople: s(rule.min_people, NEW_RULE.minPeople),
    minDurationS: s(rule.min_duration_s, NEW_RULE.minDurationS),
    stillS: s(rule.still_s, NEW_RULE.stillS),
  };
}
