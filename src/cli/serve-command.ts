/** `switchboard serve` (being built). */
export async function runServe(_argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<void> {
  await Promise.resolve();
  throw new Error('switchboard serve is not built yet');
}
