import { useEffect, useRef, useSyncExternalStore } from "react";
import type { AlertsState } from "../../lib/alerts.ts";
import { criticalArrivals } from "./filter.ts";

const MUTE_KEY = "vigil.alertSound.muted";
const listeners = new Set<() => void>();

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** Whether the critical-alert sound is muted (remembered in localStorage across sessions). */
export function isMuted(): boolean {
  return storage()?.getItem(MUTE_KEY) === "1";
}

export function setMuted(muted: boolean): void {
  try {
    if (muted) storage()?.setItem(MUTE_KEY, "1");
    else storage()?.removeItem(MUTE_KEY);
  } catch {
    // Storage full or refused: the toggle still works for this page.
  }
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === MUTE_KEY) listener();
  };
  window.addEventListener("storage", onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener("storage", onStorage);
  };
}

export function useMuted(): boolean {
  return useSyncExternalStore(subscribe, isMuted, () => false);
}

let context: AudioContext | null = null;

function audio(): AudioContext | null {
  if (context !== null) return context;
  const Ctor = (window as { AudioContext?: typeof AudioContext }).AudioContext;
  if (Ctor === undefined) return null;
  context = new Ctor();
  return context;
}

/**
 * Three short 880 Hz beeps (WebAudio; no sound file to load). Browsers only play audio after
 * the user has interacted with the page; the dashboard always has (signing in).
 */
export function beep(): void {
  const ctx = audio();
  if (ctx === null) return;
  if (ctx.state === "suspended") void ctx.resume().catch(() => undefined);
  const start = ctx.currentTime + 0.02;
  for (let i = 0; i < 3; i++) {
    const at = start + i * 0.25;
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "square";
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.2, at + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + 0.16);
  }
}

/** Beeps when a critical alert is pushed (not for ones already open at load), unless muted. */
export function useCriticalAlertSound(state: AlertsState, play: () => void = beep): void {
  const previous = useRef(state);
  const heard = useRef(new Set<string>());
  useEffect(() => {
    const arrivals = criticalArrivals(previous.current, state, heard.current);
    previous.current = state;
    if (arrivals.length > 0 && !isMuted()) play();
  }, [state, play]);
}
