/** Wire types of the Vigil HTTP API (`/api/v1`). Times are ISO-8601 UTC strings. */

export type Role = "admin" | "operator" | "viewer";

export interface User {
  id: string;
  username: string;
  role: Role;
}

export interface LoginResponse {
  access_token: string;
  token_type: "bearer";
  /** Lifetime of `access_token`, in seconds. */
  expires_in: number;
  user: User;
  /** This admin must enrol two-factor sign-in before any other call is allowed. */
  mfa_enrollment_required?: boolean;
}

/** A user account as admins see it (`GET /users`, `GET /users/me`). */
export interface UserAccount extends User {
  is_active: boolean;
  mfa_enabled: boolean;
  /** Camera ids the user may see; null: every camera. */
  cameras: string[] | null;
}

export interface UserCreate {
  username: string;
  /** At least 12 characters. */
  password: string;
  role: Role;
  cameras?: string[];
}

/** `PATCH /users/{id}`: only the fields sent are changed. */
export interface UserUpdate {
  role?: Role;
  password?: string;
  is_active?: boolean;
  cameras?: string[];
  /** Lift the camera restriction (the user sees every camera). */
  all_cameras?: boolean;
  /** Turn the user's two-factor sign-in off (they may enrol again). */
  reset_mfa?: boolean;
}

/** `POST /auth/mfa/enroll`. */
export interface MfaEnrollment {
  /** Base32 secret, for typing into an authenticator app. */
  secret: string;
  otpauth_uri: string;
  /** The otpauth URI as an SVG QR code (markup, from the server). */
  qr_svg: string;
}

export interface RecoveryCodes {
  recovery_codes: string[];
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, to tell keys apart. */
  prefix: string;
  role: Role;
  created_by: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

/** `POST /api-keys`: the key itself is in this answer only. */
export interface ApiKeyCreated extends ApiKey {
  key: string;
}

export type AuditOutcome = "success" | "failure" | "denied";

export interface AuditEntry {
  id: number;
  at: string;
  actor: string | null;
  ip: string | null;
  action: string;
  resource: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Pass as `before_id` for the next (older) page; null at the end. */
  next_before_id: number | null;
}

export interface AuditFilter {
  actor?: string;
  /** Prefix, e.g. "auth.". */
  action?: string;
  outcome?: AuditOutcome | "";
  beforeId?: number | null;
}

export type CameraStatus =
  "online" | "offline" | "reconnecting" | "connecting" | "auth_failed" | "disabled";

/** Normalised 0..1 box corners `[x1, y1, x2, y2]` relative to the frame. */
export type BboxXyxy = readonly [number, number, number, number];

export interface Detection {
  class: string;
  /** 0..1 */
  confidence: number;
  bbox: BboxXyxy;
  track_id: number | null;
}

export interface Camera {
  id: string;
  name: string;
  /** DVR channel, counted from 1; null for a camera with its own RTSP URL. */
  channel: number | null;
  /** 0 = main stream, 1 = sub stream (absent from older servers). */
  stream?: 0 | 1;
  /** Pulled from its own RTSP URL, not from a DVR channel. */
  own_url?: boolean;
  /** config: from site.yaml; api: added through the API. */
  source?: "config" | "api";
  /** Where site.yaml defines it, e.g. "cameras[2]"; null for cameras added through the API. */
  defined_in?: string | null;
  /** False: not recorded or analysed until turned on again. */
  enabled?: boolean;
  /** The camera's own RTSP URL with the password as `***`; null for a DVR channel. */
  url_masked?: string | null;
  /** The display shape setting (`display_aspect` is what it comes to). */
  display_aspect_setting?: "auto" | "16:9" | "4:3" | "native";
  status: CameraStatus;
  status_detail: string | null;
  last_frame_at: string | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  /**
   * Width / height to display the picture at, or null when unknown. DVR
   * half-width modes (e.g. 960x1080 of a 16:9 scene) say 16/9 here.
   */
  display_aspect: number | null;
  detections: Detection[];
}

export type Severity = "info" | "low" | "medium" | "high" | "critical";
export type AlertStatus = "new" | "acknowledged" | "resolved";

export interface Alert {
  id: string;
  camera_id: string;
  camera_name: string;
  rule_id: string;
  rule_name: string;
  type: string;
  severity: Severity;
  status: AlertStatus;
  title: string;
  created_at: string;
  acknowledged_at: string | null;
  acknowledged_by: string | null;
  event_id: string | null;
  /** API path (needs the bearer header), e.g. `/api/v1/events/{id}/snapshot`. */
  snapshot_url: string | null;
  /** Lifecycle fields (absent from older servers). */
  assigned_to?: string | null;
  escalation_level?: number;
}

/** How many alerts are in each state (`GET /alerts/counts`). */
export type AlertCounts = Record<AlertStatus, number>;

export interface AlertPage {
  items: Alert[];
  next_cursor: string | null;
}

export type HealthStatus = "ok" | "degraded" | "down";

export interface Health {
  status: HealthStatus;
  components: Record<string, { status: string; detail: string | null }>;
}

export type AlertSocketMessage =
  | { type: "alert.created"; alert: Alert }
  | { type: "alert.updated"; alert: Alert }
  | { type: "ping" };
