import type { Alert, Camera, Detection, LoginResponse } from "../api/types.ts";

export function makeAlert(overrides: Partial<Alert> = {}): Alert {
  return {
    id: "a1",
    camera_id: "cam-1",
    camera_name: "Main gate",
    rule_id: "r1",
    rule_name: "Perimeter",
    type: "zone_intrusion",
    severity: "high",
    status: "new",
    title: "Person in restricted zone",
    created_at: "2025-01-01T02:00:00Z",
    acknowledged_at: null,
    acknowledged_by: null,
    resolved_at: null,
    escalation_level: 0,
    event_id: null,
    snapshot_url: null,
    ...overrides,
  };
}

export function makeDetection(overrides: Partial<Detection> = {}): Detection {
  return {
    class: "person",
    confidence: 0.87,
    bbox: [0.1, 0.2, 0.3, 0.6],
    track_id: 1,
    ...overrides,
  };
}

export function makeCamera(overrides: Partial<Camera> = {}): Camera {
  return {
    id: "cam-1",
    name: "Main gate",
    channel: 1,
    stream: 0,
    own_url: false,
    source: "config",
    enabled: true,
    display_aspect_setting: "auto",
    status: "online",
    status_detail: null,
    last_frame_at: null,
    fps: 25,
    width: 960,
    height: 1080,
    display_aspect: 16 / 9,
    detections: [],
    ...overrides,
  };
}

/** A camera added through the API with its own RTSP URL (no DVR channel); its password masked. */
export const URL_CAMERA: Camera = makeCamera({
  id: "shed",
  name: "Shed",
  channel: null,
  own_url: true,
  source: "api",
  enabled: true,
  url_masked: "rtsp://admin:***@10.0.0.9:554/live",
});

export const LOGIN: LoginResponse = {
  access_token: "tok-1",
  token_type: "bearer",
  expires_in: 900,
  mfa_enrollment_required: false,
  user: { id: "u1", username: "night.guard", role: "operator" },
};

export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** An in-memory Storage for SessionStore tests. */
export class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length(): number {
    return this.items.size;
  }
  clear(): void {
    this.items.clear();
  }
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.items.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}
