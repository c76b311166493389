import { reactive, ref } from "vue";
import { ApiError, describeError } from "../api/errors";

/**
 * Keeps the errors of one form: a message per JSON field shown beside its
 * input, and one alert for everything else. A field error naming a field
 * the form does not show goes to the alert with the field's name, so no
 * server message is lost.
 */
export function useFormErrors(shownFields: readonly string[]) {
  const fields = reactive<Record<string, string>>({});
  const alert = ref("");

  function clear() {
    for (const key of Object.keys(fields)) {
      delete fields[key];
    }
    alert.value = "";
  }

  function capture(err: unknown) {
    clear();
    if (err instanceof ApiError && err.field) {
      if (shownFields.includes(err.field)) {
        fields[err.field] = err.message;
        return;
      }
      alert.value = `${err.field}: ${err.message}`;
      return;
    }
    alert.value = describeError(err);
  }

  return { fields, alert, clear, capture };
}
