import { describe, expect, it, vi } from "vitest";
import { LOGIN, MemoryStorage } from "../test/fixtures.ts";
import { SESSION_EXPIRED_NOTICE, SessionStore } from "./session.ts";

describe("SessionStore", () => {
  it("signs in, notifies, and mirrors the session to storage", () => {
    const storage = new MemoryStorage();
    const store = new SessionStore(storage, () => 1_000);
    const listener = vi.fn();
    store.subscribe(listener);
    store.signIn(LOGIN);
    expect(listener).toHaveBeenCalledOnce();
    expect(store.token()).toBe("tok-1");
    expect(store.getSnapshot().session?.expiresAtMs).toBe(1_000 + 900_000);
    expect(new SessionStore(storage, () => 2_000).token()).toBe("tok-1");
  });

  it("does not restore a corrupt session", () => {
    const storage = new MemoryStorage();
    storage.setItem("vigil.session", "{not json");
    const store = new SessionStore(storage);
    expect(store.token()).toBeNull();
    expect(store.getSnapshot().resuming).toBe(false);
    expect(storage.length).toBe(0);
  });

  it("marks an expired stored session as resuming, until a sign-in or sign-out", () => {
    const storage = new MemoryStorage();
    new SessionStore(storage, () => 0).signIn(LOGIN);
    const store = new SessionStore(storage, () => 900_001);
    expect(store.getSnapshot()).toEqual({
      session: null,
      resuming: true,
      notice: null,
      lastUsername: "night.guard",
    });
    store.signIn({ ...LOGIN, access_token: "tok-2" });
    expect(store.getSnapshot()).toMatchObject({ resuming: false });
    expect(store.token()).toBe("tok-2");

    const failed = new SessionStore(storage, () => 10_000_000);
    failed.expire(null);
    expect(failed.getSnapshot()).toMatchObject({
      session: null,
      resuming: false,
      notice: SESSION_EXPIRED_NOTICE,
    });
  });

  it("expire() signs out with the notice and keeps the username for the form", () => {
    const storage = new MemoryStorage();
    const store = new SessionStore(storage);
    store.signIn(LOGIN);
    store.expire("tok-1");
    expect(store.getSnapshot()).toEqual({
      session: null,
      resuming: false,
      notice: SESSION_EXPIRED_NOTICE,
      lastUsername: "night.guard",
    });
    expect(storage.length).toBe(0);
  });

  it("ignores a 401 for a token that a newer sign-in replaced", () => {
    const store = new SessionStore(null);
    store.signIn({ ...LOGIN, access_token: "tok-2" });
    store.expire("tok-1");
    expect(store.token()).toBe("tok-2");
  });

  it("a plain sign-out shows no notice", () => {
    const store = new SessionStore(null);
    store.signIn(LOGIN);
    store.signOut();
    expect(store.getSnapshot().notice).toBeNull();
  });

  it("works without storage (disabled or full)", () => {
    const broken = new MemoryStorage();
    broken.setItem = () => {
      throw new DOMException("quota", "QuotaExceededError");
    };
    const store = new SessionStore(broken);
    store.signIn(LOGIN);
    expect(store.token()).toBe("tok-1");
  });
});
