/**
 * Code loaded on first use. A dynamic `import()` behind `lazily` is a separate chunk in a split build
 * (esbuild `--splitting`, Rollup, Vite), so a page that never signs never downloads the curve code
 * (BENCHMARKS.md, "Browser bundle size"). A failed load (a chunk the network lost) is not remembered:
 * the next call tries again.
 */
export function lazily<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}
