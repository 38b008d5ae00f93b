/** Face search, enrolled persons and watchlists. */
import type { ApiClient } from "./client.ts";
import { id, items } from "./query.ts";
import type { FaceMatch, Person, Watchlist, WatchlistInput } from "./types.ts";

export function faceCalls(api: ApiClient) {
  return {
    searchFaces: (image: Blob, filename: string) => {
      const form = new FormData();
      form.append("image", image, filename);
      return api.request<FaceMatch[]>("/api/v1/search/faces?limit=20", { method: "POST", form });
    },
    similarFaces: (embeddingId: string) =>
      api.request<FaceMatch[]>(`/api/v1/search/faces/${id(embeddingId)}?limit=20`),

    persons: async (signal?: AbortSignal) =>
      items(await api.request<Person[] | { items: Person[] }>("/api/v1/persons", { signal })),
    enrolPerson: (name: string, notes: string, photos: readonly File[]) => {
      const form = new FormData();
      form.append("name", name);
      if (notes.trim() !== "") form.append("notes", notes);
      for (const photo of photos) form.append("photos", photo, photo.name);
      return api.request<Person>("/api/v1/persons", { method: "POST", form });
    },
    deletePerson: (personId: string) =>
      api.requestNoContent(`/api/v1/persons/${id(personId)}`, { method: "DELETE" }),
    watchlists: async (signal?: AbortSignal) =>
      items(
        await api.request<Watchlist[] | { items: Watchlist[] }>("/api/v1/watchlists", { signal }),
      ),
    createWatchlist: (input: WatchlistInput) =>
      api.request<Watchlist>("/api/v1/watchlists", { method: "POST", body: input }),
    updateWatchlist: (watchlistId: string, input: WatchlistInput) =>
      api.request<Watchlist>(`/api/v1/watchlists/${id(watchlistId)}`, {
        method: "PUT",
        body: input,
      }),
    deleteWatchlist: (watchlistId: string) =>
      api.requestNoContent(`/api/v1/watchlists/${id(watchlistId)}`, { method: "DELETE" }),
  };
}
