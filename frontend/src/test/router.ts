import { createMemoryHistory } from "vue-router";
import { makeRouter } from "../router";

/** Returns the app's router on an in-memory history, at path. */
export async function routerAt(path: string) {
  const router = makeRouter(createMemoryHistory());
  await router.push(path);
  await router.isReady();
  return router;
}
