/** The JSON body the API client sent (it always sends a string). */
export function sentJson<T = unknown>(init: RequestInit): T {
  if (typeof init.body !== "string") throw new Error("request has no JSON body");
  return JSON.parse(init.body) as T;
}
