import { reactive } from "vue";
import { api } from "../api";

/** Name shown before the installer names the store, or when GET /api/store fails. */
export const FALLBACK_STORE_NAME = "eSIM store";

export const storeInfo = reactive({
  /** The installer's store name, "" until known. */
  name: "",
});

export function storeTitle(): string {
  return storeInfo.name || FALLBACK_STORE_NAME;
}

/** Loads the store's name into storeInfo and the document title. Failures keep the fallback name. */
export async function loadStoreName(): Promise<void> {
  try {
    storeInfo.name = await api.store.storeName();
  } catch {
    storeInfo.name = "";
  }
  document.title = storeTitle();
}
