/**
 * Wire types of the Vigil HTTP API (`/api/v1`). Times are ISO-8601 UTC strings.
 *
 * Every type the server declares comes from `schema.d.ts`, which openapi-typescript generates
 * from the server's OpenAPI schema (`openapi.json`, written by `tools/openapi.py`; `make
 * api-types` regenerates both, and `make test` fails when they are out of date). A change on
 * the server that breaks the dashboard therefore fails `npm run typecheck`. Only types the
 * server does not declare (the WebSocket's messages, filters, form shapes) are written here.
 */
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

/**
 * A request body whose fields `K` have a default on the server. The generated types mark
 * fields with a default as always present (right for answers, which always carry them), so a
 * request type makes them optional again: the dashboard may leave them out.
 */
type Defaulted<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

export type Role = Schemas["UserPublic"]["role"];

export type User = Schemas["UserPublic"];

/** `mfa_enrollment_required`: this admin must enrol two-factor sign-in before anything else. */
export type LoginResponse = Schemas["LoginResponse"];

/** A user account as admins see it (`GET /users`, `GET /users/me`); `cameras` null: all. */
export type UserAccount = Schemas["UserOut"];

export type UserCreate = Schemas["UserCreate"];

/** `PATCH /users/{id}`: only the fields sent are changed. */
export type UserUpdate = Defaulted<Schemas["UserUpdate"], "all_cameras" | "reset_mfa">;

/** `POST /auth/mfa/enroll`. */
export type MfaEnrollment = Schemas["MfaEnrollmentPublic"];

export type RecoveryCodes = Schemas["RecoveryCodes"];

export type ApiKey = Schemas["ApiKeyRecord"];

/** `POST /api-keys`: the key itself is in this answer only. */
export type ApiKeyCreated = Schemas["ApiKeyCreated"];

/** `GET /audit?outcome=`. */
export type AuditOutcome = NonNullable<
  NonNullable<paths["/api/v1/audit"]["get"]["parameters"]["query"]>["outcome"]
>;

export type AuditEntry = Schemas["AuditEntry"];

/** `next_before_id`: pass as `before_id` for the next (older) page; null at the end. */
export type AuditPage = Schemas["AuditPage"];

export interface AuditFilter {
  actor?: string;
  /** Prefix, e.g. "auth.". */
  action?: string;
  outcome?: AuditOutcome | "";
  beforeId?: number | null;
}

export type Camera = Schemas["CameraPublic"];

export type CameraStatus = Camera["status"];

/** The camera's display shape setting (`display_aspect` is what it comes to). */
export type DisplayAspectSetting = Camera["display_aspect_setting"];

/** `POST /cameras`: exactly one of `channel` (a site DVR channel) or `url`. */
export type CameraCreate = Defaulted<
  Schemas["CameraBody"],
  "display_aspect" | "enabled" | "stream"
>;

/** `PATCH /cameras/{id}`: only what changed. */
export type CameraUpdate = Schemas["CameraPatch"];

/** `POST /cameras/test` and `POST /cameras/{id}/test`: what the stream sends, or why not. */
export type ProbeResult = Schemas["ProbePublic"];

/** A DVR channel (with the site's DVR credentials) or the RTSP URL of another camera. */
export type ProbeRequest = { channel: number; stream: 0 | 1 } | { url: string };

/** Normalised 0..1 box corners `[x1, y1, x2, y2]` relative to the frame. */
export type BboxXyxy = readonly [number, number, number, number];

export type Detection = Schemas["DetectionPublic"];

export type Alert = Schemas["AlertView"];
export type Severity = Alert["severity"];
export type AlertStatus = Alert["status"];

/** How many alerts are in each state (`GET /alerts/counts`). */
export type AlertCounts = Schemas["AlertCounts"];

export type AlertPage = Schemas["AlertPage"];

export type AlertNote = Schemas["NotePublic"];

export type DeadLetter = Schemas["DeadLetterPublic"];

export type HealthStatus = Schemas["HealthPublic"]["status"];

export type Health = Schemas["HealthPublic"];

/** `/ws/alerts` (not part of the OpenAPI schema). */
export type AlertSocketMessage =
  | { type: "alert.created"; alert: Alert }
  | { type: "alert.updated"; alert: Alert }
  | { type: "ping" };

export type VigilEvent = Schemas["EventPublic"];

export type EventPage = Schemas["EventPage"];

/** `GET /events` filters. */
export interface EventFilter {
  camera_id?: string | undefined;
  type?: string | undefined;
  severity?: Severity | "" | undefined;
  zone_id?: string | undefined;
  /** ISO-8601 with zone. */
  start?: string | undefined;
  end?: string | undefined;
  track_id?: number | undefined;
  /** Case-insensitive words in the type, rule, zone, camera name or details. */
  text?: string | undefined;
}

/** One stored segment (`GET /recordings`). */
export type RecordingSegment = Schemas["RecordingOut"];

/** Per-camera recording integrity (`GET /recordings/integrity`). */
export type CameraIntegrity = Schemas["CameraIntegrityOut"];

/** One gap in a camera's recording, from the segment index. */
export type RecordingGap = Schemas["GapOut"];

export type DailyReport = Schemas["DailyReport"];

/** `cells`: rows x cols, row 0 at the top. */
export type Heatmap = Schemas["HeatmapOut"];

/** `person`: the enrolled person this face was matched to when it was stored. */
export type FaceMatch = Schemas["FaceMatchOut"];

/** `photos_to_reenrol`: photos embedded by an older face model (they match nothing). */
export type Person = Schemas["PersonOut"];

export type Watchlist = Schemas["WatchlistOut"];

export type WatchlistInput = Defaulted<Schemas["WatchlistIn"], "cameras" | "enabled" | "severity">;

/** Normalised [x, y], origin top-left. */
export type Point = [number, number];

export type Zone = Schemas["ZonePublic"];

export type ZoneInput = Defaulted<Schemas["ZoneBody"], "criticality">;

export type RuleType = Schemas["RuleBody"]["type"];

export const RULE_TYPES = [
  "zone_intrusion",
  "zone_enter",
  "zone_exit",
  "line_crossing",
  "loitering",
  "crowd",
  "abandoned_object",
] as const satisfies readonly RuleType[];

type Empty<T extends never> = T;
/** Every rule type the server knows is in `RULE_TYPES` (a type error names any left out). */
export type RuleTypesLeftOut = Empty<Exclude<RuleType, (typeof RULE_TYPES)[number]>>;

/** A rule as the server answers it (`GET /rules`). */
export type Rule = Schemas["RulePublic"];

/** A rule as sent (`POST /rules`, `PUT /rules/{id}`, `POST /rules/validate`). */
export type RuleInput = Defaulted<
  Schemas["RuleBody"],
  | "cameras"
  | "clear_after_s"
  | "cooldown_s"
  | "direction"
  | "dwell_s"
  | "enabled"
  | "min_confidence"
  | "min_duration_s"
  | "min_frames"
  | "min_people"
  | "near_distance"
  | "score_severity"
  | "severity"
  | "still_s"
  | "track_gap_s"
  | "type"
>;

/** A schedule by name, with whatever else `GET /schedules` says of it. */
export interface Schedule {
  name: string;
  [key: string]: unknown;
}

export type NotificationChannel = Schemas["ChannelPublic"];

export type ChannelTestResult = Schemas["TestResult"];

export type EdgeState = Schemas["EdgeOut"];

/** `GET /cameras/{id}/live`: where to fetch the camera's live picture. */
export type LiveInfo = Schemas["LiveOut"];

export type StreamName = LiveInfo["streams"][number];

export type WebRtcOffer = Schemas["WebRtcOffer"];
export type WebRtcAnswer = Schemas["WebRtcAnswer"];

/** A clip export (`POST /exports`, `GET /exports/{id}`). */
export type ClipExport = Schemas["ExportOut"];

export type ExportStatus = ClipExport["status"];
