/**
 * Query parameters as the API server decodes them into its options structs (ListOptions.watch,
 * PodLogOptions.follow, PodExecOptions.stdout, ...): k8s.io/apimachinery/pkg/runtime/conversion.go
 * Convert_Slice_string_To_bool. Absent, "0" or "false" in any case is false; any other value, the empty
 * one included, is true: so Python's client, which sends `watch=True`, gets its watch.
 */
export function queryBool(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '0' && v.toLowerCase() !== 'false';
}
