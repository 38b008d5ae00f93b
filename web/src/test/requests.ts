/** The JSON body the API client sent (it always sends a string). */
export function sentJson(init: RequestInit): unknown {
  if (typeof init.body !== "string") throw new Error("request has no JSON body");
  return JSON.parse(init.body);
}
