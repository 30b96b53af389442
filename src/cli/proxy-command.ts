/** `switchboard proxy` (being built). */
export async function runProxy(_argv: readonly string[], _env: NodeJS.ProcessEnv): Promise<void> {
  await Promise.resolve();
  throw new Error('switchboard proxy is not built yet');
}
