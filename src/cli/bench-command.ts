/** `switchboard bench` (being built). */
export async function runBench(_argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<void> {
  await Promise.resolve();
  throw new Error('switchboard bench is not built yet');
}
