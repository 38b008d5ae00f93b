import { ApiError } from "../../api/client.ts";
import type {
  Camera,
  CameraCreate,
  CameraUpdate,
  DisplayAspectSetting,
  ProbeRequest,
} from "../../api/types.ts";
import { fieldErrorsOf, type FieldErrors } from "../fieldErrors.ts";

/** What the server puts where a stored password was (`url_masked`). */
export const MASK = "***";

export type SourceKind = "channel" | "url";
export type DisplayAspect = DisplayAspectSetting;

/** The camera form as typed (strings where the person types). */
export interface CameraFields {
  id: string;
  name: string;
  kind: SourceKind;
  /** DVR channel, counted from 1. */
  channel: string;
  stream: "0" | "1";
  /** rtsp:// or rtsps:// address without user name and password. */
  url: string;
  username: string;
  /** As typed; "" while editing keeps the stored password. */
  password: string;
  enabled: boolean;
  displayAspect: DisplayAspect;
}

export const NEW_CAMERA: CameraFields = {
  id: "",
  name: "",
  kind: "channel",
  channel: "1",
  stream: "0",
  url: "",
  username: "",
  password: "",
  enabled: true,
  displayAspect: "auto",
};

/** An RTSP URL taken apart: the address without credentials, and the credentials (decoded). */
export interface RtspParts {
  /** e.g. "rtsp://192.168.29.31:554/stream1". */
  base: string;
  username: string;
  /** null: the URL has none; MASK: a stored password the server did not send. */
  password: string | null;
}

// The user part runs to the authority's last "@" (a raw "@" in a typed password stays in it).
const RTSP = /^(rtsps?):\/\/(?:([^/?#]*)@)?(.*)$/is;
// Passwords in paths and queries, e.g. CP PLUS "user=admin&password=…&channel=1".
const SECRET_PARAM = /(^|[/?&;])((?:password|passwd|pass|pwd|token|key|secret)=)([^&#;]*)/gi;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // not valid percent-encoding: take it as typed
  }
}

/** Splits `rtsp://user:pass@host/path`; null when it is not an rtsp:// or rtsps:// URL. */
export function splitRtspUrl(url: string): RtspParts | null {
  const match = RTSP.exec(url.trim());
  if (match === null) return null;
  const [, scheme = "", userinfo, rest = ""] = match;
  const base = `${scheme.toLowerCase()}://${rest}`;
  if (userinfo === undefined) return { base, username: "", password: null };
  const colon = userinfo.indexOf(":");
  if (colon < 0) return { base, username: decoded(userinfo), password: null };
  const password = userinfo.slice(colon + 1);
  return {
    base,
    username: decoded(userinfo.slice(0, colon)),
    password: password === MASK ? MASK : decoded(password),
  };
}

/** Percent-encodes what may not stand in a URL's user or password (RFC 3986 userinfo). */
function userinfoPart(text: string): string {
  // encodeURIComponent also escapes the sub-delimiters userinfo allows; keep those readable.
  return encodeURIComponent(text).replace(/%(24|26|2B|2C|3B|3D)/g, (escaped) =>
    decodeURIComponent(escaped),
  );
}

/** Percent-encodes a CP PLUS path credential as the server does (`quote_credential`). */
function pathPart(text: string): string {
  return encodeURIComponent(text).replace(/%(24|2B|2C|3B|3A)/g, (escaped) =>
    decodeURIComponent(escaped),
  );
}

/** Where a CP PLUS style `password=` value sits in `url` (it runs to `&channel=<n>`). */
function pathPassword(url: string): { from: number; to: number; value: string } | null {
  const key = /[/?&;]password=/i.exec(url);
  if (key === null) return null;
  const from = key.index + key[0].length;
  const rest = url.slice(from);
  const length = /&channel=\d/.exec(rest)?.index ?? /[&#;]/.exec(rest)?.index ?? rest.length;
  return { from, to: from + length, value: rest.slice(0, length) };
}

/**
 * `base` with the user name and password put in (encoded); `base` alone when both are "".
 * When `base` holds a CP PLUS `password=***` slot, the password goes there instead.
 */
export function composeRtspUrl(base: string, username: string, password: string): string {
  const parts = splitRtspUrl(base);
  if (parts === null || (username === "" && password === "")) return base.trim();
  const slot = pathPassword(parts.base);
  if (slot?.value === MASK) {
    const url =
      password === "" || password === MASK
        ? parts.base
        : parts.base.slice(0, slot.from) + pathPart(password) + parts.base.slice(slot.to);
    return composeRtspUrl(url, username, "");
  }
  const secret = password === MASK ? MASK : userinfoPart(password);
  const userinfo = password === "" ? userinfoPart(username) : `${userinfoPart(username)}:${secret}`;
  // A function, not a string: "$&" in a password must not be read as a replacement pattern.
  return parts.base.replace("://", () => `://${userinfo}@`);
}

/** The URL with its password shown as MASK (in the userinfo and in CP PLUS `password=`). */
export function maskRtspUrl(url: string): string {
  const parts = splitRtspUrl(url);
  const masked =
    parts === null || parts.password === null
      ? url
      : composeRtspUrl(parts.base, parts.username, MASK);
  return masked.replace(SECRET_PARAM, (_, start: string, key: string) => `${start}${key}${MASK}`);
}

/** The form's fields for a stored camera (its password stays on the server). */
export function cameraFields(camera: Camera): CameraFields {
  const parts = camera.url_masked == null ? null : splitRtspUrl(camera.url_masked);
  return {
    id: camera.id,
    name: camera.name,
    kind: camera.own_url ? "url" : "channel",
    channel: camera.channel == null ? "1" : String(camera.channel),
    stream: camera.stream === 1 ? "1" : "0",
    url: parts?.base ?? "",
    username: parts?.username ?? "",
    password: "",
    enabled: camera.enabled,
    displayAspect: camera.display_aspect_setting,
  };
}

/** Whether the stored camera has a password the form does not know. */
export function hasStoredPassword(camera: Camera | null): boolean {
  if (camera?.url_masked == null) return false;
  const parts = splitRtspUrl(camera.url_masked);
  return parts?.password === MASK || (parts !== null && pathPassword(parts.base)?.value === MASK);
}

/** The URL to send: the stored password (as MASK, which the server keeps) unless retyped. */
function urlToSend(fields: CameraFields, editing: Camera | null): string {
  const keep = fields.password === "" && hasStoredPassword(editing);
  return composeRtspUrl(fields.url, fields.username.trim(), keep ? MASK : fields.password);
}

/** What is wrong before asking the server (which checks everything again). */
export function formProblems(fields: CameraFields): FieldErrors {
  const problems: FieldErrors = {};
  if (fields.kind === "channel") {
    if (!/^\d+$/.test(fields.channel.trim()) || Number(fields.channel) < 1)
      problems.channel = "a DVR channel number, counted from 1";
    return problems;
  }
  const parts = splitRtspUrl(fields.url);
  if (parts === null) problems.url = "must be an rtsp:// or rtsps:// URL";
  else if (parts.base.split("://")[1]?.trim() === "") problems.url = "has no host";
  else if (parts.username !== "" || parts.password !== null)
    problems.url = "put the user name and password in their own fields";
  const slot = parts === null ? null : pathPassword(parts.base);
  if (fields.password !== "" && fields.username.trim() === "" && slot?.value !== MASK)
    problems.username = "a password needs a user name";
  return problems;
}

/** `POST /cameras` body of the form. */
export function createBody(fields: CameraFields): CameraCreate {
  const common = {
    id: fields.id.trim(),
    name: fields.name.trim(),
    stream: fields.stream === "1" ? (1 as const) : (0 as const),
    enabled: fields.enabled,
    display_aspect: fields.displayAspect,
  };
  return fields.kind === "channel"
    ? { ...common, channel: Number(fields.channel) }
    : { ...common, url: urlToSend(fields, null) };
}

/** `PATCH /cameras/{id}` body: the fields that differ from `camera`. Empty: nothing changed. */
export function updateBody(camera: Camera, fields: CameraFields): CameraUpdate {
  const before = cameraFields(camera);
  const body: CameraUpdate = {};
  const name = fields.name.trim();
  if (name !== before.name) body.name = name;
  if (fields.enabled !== before.enabled) body.enabled = fields.enabled;
  if (fields.displayAspect !== before.displayAspect) body.display_aspect = fields.displayAspect;
  if (fields.kind === "channel") {
    if (before.kind !== "channel" || fields.channel.trim() !== before.channel)
      body.channel = Number(fields.channel);
    if (before.kind !== "channel" || fields.stream !== before.stream)
      body.stream = fields.stream === "1" ? 1 : 0;
  } else {
    const url = urlToSend(fields, camera);
    if (before.kind !== "url" || url !== camera.url_masked) body.url = url;
  }
  return body;
}

/** What "Test" in the form probes: the typed source, or the stored camera when the form
 * still holds its stored password (which the browser never sees). */
export type FormProbe = { request: ProbeRequest } | { stored: string } | { problem: string };

export function formProbe(fields: CameraFields, editing: Camera | null): FormProbe {
  if (fields.kind === "channel") {
    const problem = formProblems(fields).channel;
    return problem === undefined
      ? { request: { channel: Number(fields.channel), stream: fields.stream === "1" ? 1 : 0 } }
      : { problem: `Channel: ${problem}` };
  }
  const problems = formProblems(fields);
  const problem = problems.url ?? problems.username;
  if (problem !== undefined) return { problem: `URL: ${problem}` };
  const url = urlToSend(fields, editing);
  if (!url.includes(MASK)) return { request: { url } };
  if (editing !== null && url === editing.url_masked) return { stored: editing.id };
  return { problem: "Type the password again to test a changed address." };
}

/**
 * The field errors of a refused save: the server's "body.url: …" lines under their fields,
 * and a 409 on a new camera (the id is taken) under the id.
 */
export function saveErrors(err: unknown, creating: boolean): FieldErrors {
  const errors = fieldErrorsOf(err);
  if (creating && err instanceof ApiError && err.status === 409 && Object.keys(errors).length === 0)
    return { id: err.detail };
  return errors;
}

/** Credentials typed into the URL field move to the user and password fields (so the
 * password is not left on screen in a text field). */
export function withCredentialsMoved(fields: CameraFields): CameraFields {
  const parts = splitRtspUrl(fields.url);
  if (parts === null) return fields;
  // A CP PLUS path's password=<p> becomes password=*** with <p> in the password field.
  const slot = pathPassword(parts.base);
  if (slot !== null && slot.value !== "" && slot.value !== MASK) {
    const url = parts.base.slice(0, slot.from) + MASK + parts.base.slice(slot.to);
    return withCredentialsMoved({ ...fields, url, password: decoded(slot.value) });
  }
  if (parts.username === "" && parts.password === null) return fields;
  return {
    ...fields,
    url: parts.base,
    username: parts.username,
    password: parts.password === null || parts.password === MASK ? fields.password : parts.password,
  };
}

/** The URL the form would connect to, password masked (for the "Connects to" line). */
export function shownUrl(fields: CameraFields, editing: Camera | null): string {
  return maskRtspUrl(urlToSend(withCredentialsMoved(fields), editing));
}
