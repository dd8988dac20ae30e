/**
 * What a person reads of a failed activity or sub-orchestration: its own message ("CODE:
 * text"). The engine hands the orchestrator "Activity function 'x' failed: <message> \n
 * <stack>" (the Durable extension's Reason and Details); neither the wrapper nor the stack
 * belongs in an outcome.
 */
export function failureMessage(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const reason = text.split(' \n ')[0] ?? text;
  return reason.replace(/^Activity function '[^']*' failed: /, '').trim();
}
