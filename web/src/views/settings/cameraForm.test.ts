import { describe, expect, it } from "vitest";
import { ApiError } from "../../api/client.ts";
import { makeCamera, URL_CAMERA } from "../../test/fixtures.ts";
import {
  cameraFields,
  composeRtspUrl,
  createBody,
  formProbe,
  formProblems,
  maskRtspUrl,
  NEW_CAMERA,
  saveErrors,
  shownUrl,
  splitRtspUrl,
  updateBody,
  withCredentialsMoved,
  type CameraFields,
} from "./cameraForm.ts";

function urlFields(patch: Partial<CameraFields> = {}): CameraFields {
  return { ...NEW_CAMERA, id: "shed", name: "Shed", kind: "url", ...patch };
}

describe("RTSP URLs", () => {
  it.each([
    ["rtsp://10.0.0.9/live", { base: "rtsp://10.0.0.9/live", username: "", password: null }],
    ["RTSPS://cam@h:322/x", { base: "rtsps://h:322/x", username: "cam", password: null }],
    ["rtsp://a%40b:p%3As@h/x", { base: "rtsp://h/x", username: "a@b", password: "p:s" }],
    ["rtsp://admin:***@h/x", { base: "rtsp://h/x", username: "admin", password: "***" }],
    // A raw "@" typed in a password: the user part runs to the last "@" (as the server reads it).
    ["rtsp://admin:p@ss@h/x", { base: "rtsp://h/x", username: "admin", password: "p@ss" }],
    // An @ after the path is not a user name (CP PLUS paths carry user= and password=).
    [
      "rtsp://h:554/user=admin&password=a@b&channel=1",
      { base: "rtsp://h:554/user=admin&password=a@b&channel=1", username: "", password: null },
    ],
    ["http://h/x", null],
    ["h/x", null],
  ])("splits %s", (url, parts) => {
    expect(splitRtspUrl(url)).toEqual(parts);
  });

  it("composes the user and password, encoding what a URL cannot hold", () => {
    expect(composeRtspUrl("rtsp://h:554/live", "admin", "s3cret")).toBe(
      "rtsp://admin:s3cret@h:554/live",
    );
    expect(composeRtspUrl("rtsp://h/live", "ad min", "p@ss:w/rd#1%$&=")).toBe(
      "rtsp://ad%20min:p%40ss%3Aw%2Frd%231%25$&=@h/live",
    );
    expect(composeRtspUrl("rtsp://h/live", "viewer", "")).toBe("rtsp://viewer@h/live");
    expect(composeRtspUrl(" rtsp://h/live ", "", "")).toBe("rtsp://h/live");
    // Round trip.
    const url = composeRtspUrl("rtsp://h/live", "a@b", "p:s%");
    expect(splitRtspUrl(url)).toEqual({ base: "rtsp://h/live", username: "a@b", password: "p:s%" });
  });

  it("masks passwords in the user part and in CP PLUS paths", () => {
    expect(maskRtspUrl("rtsp://admin:hunter2@h/live")).toBe("rtsp://admin:***@h/live");
    expect(maskRtspUrl("rtsp://h/user=admin&password=hunter2&channel=1")).toBe(
      "rtsp://h/user=admin&password=***&channel=1",
    );
    expect(maskRtspUrl("rtsp://h/live?token=abc&x=1")).toBe("rtsp://h/live?token=***&x=1");
    expect(maskRtspUrl("rtsp://viewer@h/live")).toBe("rtsp://viewer@h/live");
  });

  it("moves credentials typed into the URL field to their own fields", () => {
    const moved = withCredentialsMoved(urlFields({ url: "rtsp://admin:hunter2@h/live" }));
    expect(moved).toMatchObject({ url: "rtsp://h/live", username: "admin", password: "hunter2" });
    // A masked password is not a password: the typed (or stored) one stays.
    const masked = withCredentialsMoved(urlFields({ url: "rtsp://admin:***@h/live" }));
    expect(masked).toMatchObject({ url: "rtsp://h/live", username: "admin", password: "" });
    const plain = urlFields({ url: "rtsp://h/live" });
    expect(withCredentialsMoved(plain)).toBe(plain);
  });

  it("moves a CP PLUS path password to the password field and puts it back encoded", () => {
    const typed = "rtsp://h:554/user=admin&password=a&b%20c&channel=1&stream=0.sdp?";
    const moved = withCredentialsMoved(urlFields({ url: typed }));
    expect(moved).toMatchObject({
      url: "rtsp://h:554/user=admin&password=***&channel=1&stream=0.sdp?",
      username: "",
      password: "a&b c",
    });
    expect(formProblems(moved)).toEqual({});
    expect(createBody(moved).url).toBe(
      "rtsp://h:554/user=admin&password=a%26b%20c&channel=1&stream=0.sdp?",
    );
    expect(shownUrl(moved, null)).toBe(
      "rtsp://h:554/user=admin&password=***&channel=1&stream=0.sdp?",
    );
  });

  it("shows the URL it will connect to without the password", () => {
    const fields = urlFields({ url: "rtsp://h/live", username: "admin", password: "hunter2" });
    expect(shownUrl(fields, null)).toBe("rtsp://admin:***@h/live");
    expect(shownUrl(cameraFields(URL_CAMERA), URL_CAMERA)).toBe(
      "rtsp://admin:***@10.0.0.9:554/live",
    );
  });
});

describe("form → request body", () => {
  it("sends a DVR channel", () => {
    const fields = { ...NEW_CAMERA, id: " porch ", name: " Porch ", channel: "2", stream: "1" };
    expect(createBody(fields as CameraFields)).toEqual({
      id: "porch",
      name: "Porch",
      channel: 2,
      stream: 1,
      enabled: true,
      display_aspect: "auto",
    });
  });

  it("sends a URL with the typed credentials in it", () => {
    const fields = urlFields({ url: "rtsp://h/live", username: "admin", password: "pw" });
    expect(createBody(fields)).toEqual({
      id: "shed",
      name: "Shed",
      url: "rtsp://admin:pw@h/live",
      stream: 0,
      enabled: true,
      display_aspect: "auto",
    });
  });

  it("fills the form from a stored camera without its password", () => {
    expect(cameraFields(URL_CAMERA)).toEqual({
      id: "shed",
      name: "Shed",
      kind: "url",
      channel: "1",
      stream: "0",
      url: "rtsp://10.0.0.9:554/live",
      username: "admin",
      password: "",
      enabled: true,
      displayAspect: "auto",
    });
  });

  it("patches only what changed, keeping the stored password unless retyped", () => {
    const fields = cameraFields(URL_CAMERA);
    expect(updateBody(URL_CAMERA, fields)).toEqual({});
    expect(updateBody(URL_CAMERA, { ...fields, name: "Garden shed" })).toEqual({
      name: "Garden shed",
    });
    // A new address with the stored password: sent back masked, which the server keeps.
    expect(updateBody(URL_CAMERA, { ...fields, url: "rtsp://10.0.0.10:554/live" })).toEqual({
      url: "rtsp://admin:***@10.0.0.10:554/live",
    });
    expect(updateBody(URL_CAMERA, { ...fields, password: "new-pw", enabled: false })).toEqual({
      url: "rtsp://admin:new-pw@10.0.0.9:554/live",
      enabled: false,
    });
    expect(updateBody(URL_CAMERA, { ...fields, kind: "channel", channel: "3" })).toEqual({
      channel: 3,
      stream: 0,
    });
    expect(updateBody(URL_CAMERA, { ...fields, displayAspect: "4:3" })).toEqual({
      display_aspect: "4:3",
    });
  });

  it("patches a channel camera's stream alone", () => {
    const camera = makeCamera({ id: "porch", channel: 2, stream: 0, source: "api" });
    expect(updateBody(camera, { ...cameraFields(camera), stream: "1" })).toEqual({ stream: 1 });
  });
});

describe("checks before sending", () => {
  it.each([
    [{ kind: "channel", channel: "0" }, { channel: "a DVR channel number, counted from 1" }],
    [{ kind: "channel", channel: "two" }, { channel: "a DVR channel number, counted from 1" }],
    [{ kind: "channel", channel: "2" }, {}],
    [{ kind: "url", url: "http://h/x" }, { url: "must be an rtsp:// or rtsps:// URL" }],
    [{ kind: "url", url: "rtsp://" }, { url: "has no host" }],
    [
      { kind: "url", url: "rtsp://h/x", password: "pw" },
      { username: "a password needs a user name" },
    ],
    [{ kind: "url", url: "rtsp://h/x", username: "u", password: "pw" }, {}],
  ] as const)("%o → %o", (patch, problems) => {
    expect(formProblems({ ...NEW_CAMERA, ...patch })).toEqual(problems);
  });

  it("tests the typed source, or the stored camera while its password is not retyped", () => {
    expect(formProbe({ ...NEW_CAMERA, channel: "2", stream: "1" }, null)).toEqual({
      request: { channel: 2, stream: 1 },
    });
    expect(formProbe({ ...NEW_CAMERA, channel: "x" }, null)).toEqual({
      problem: "Channel: a DVR channel number, counted from 1",
    });
    const fields = cameraFields(URL_CAMERA);
    expect(formProbe(fields, URL_CAMERA)).toEqual({ stored: "shed" });
    expect(formProbe({ ...fields, password: "pw" }, URL_CAMERA)).toEqual({
      request: { url: "rtsp://admin:pw@10.0.0.9:554/live" },
    });
    expect(formProbe({ ...fields, url: "rtsp://other/live" }, URL_CAMERA)).toEqual({
      problem: "Type the password again to test a changed address.",
    });
    // A password kept in the path (CP PLUS style) is stored too.
    const cpplus = {
      ...URL_CAMERA,
      url_masked: "rtsp://h/user=admin&password=***&channel=1&stream=0.sdp?",
    };
    const stored = cameraFields(cpplus);
    expect(stored).toMatchObject({ url: cpplus.url_masked, password: "" });
    expect(formProbe(stored, cpplus)).toEqual({ stored: "shed" });
    expect(updateBody(cpplus, stored)).toEqual({});
    // A new channel in the path keeps the stored password (sent back as ***).
    const moved = { ...stored, url: stored.url.replace("channel=1", "channel=2") };
    expect(updateBody(cpplus, moved)).toEqual({
      url: "rtsp://h/user=admin&password=***&channel=2&stream=0.sdp?",
    });
    expect(updateBody(cpplus, { ...stored, password: "n3w" })).toEqual({
      url: "rtsp://h/user=admin&password=n3w&channel=1&stream=0.sdp?",
    });
  });
});

describe("saveErrors", () => {
  it("puts the server's field errors under their fields", () => {
    const err = new ApiError(422, "invalid camera", {
      errors: ["body.channel: the DVR has 2 channel(s) (dvr.channels); got 9", "body.url: bad"],
    });
    expect(saveErrors(err, true)).toEqual({
      channel: "the DVR has 2 channel(s) (dvr.channels); got 9",
      url: "bad",
    });
  });

  it("puts a taken id under the id when adding, and nowhere when editing", () => {
    const err = new ApiError(409, "camera 'gate' already exists in site.yaml (cameras[0])");
    expect(saveErrors(err, true)).toEqual({
      id: "camera 'gate' already exists in site.yaml (cameras[0])",
    });
    expect(saveErrors(err, false)).toEqual({});
    expect(saveErrors(new Error("boom"), true)).toEqual({});
  });
});
