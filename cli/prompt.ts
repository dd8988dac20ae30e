/**
 * Questions on a terminal. The question and what it is about go to stderr, so that stdout
 * holds only the command's output (-o json stays JSON).
 */
import { createInterface } from 'node:readline/promises';

/** Whether a person can answer: stdin is a terminal. */
export function canAsk(): boolean {
  return process.stdin.isTTY === true;
}

/** Asks a yes/no question; undefined when the person pressed Ctrl-C or closed the input. */
export async function confirm(question: string): Promise<boolean | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  const controller = new AbortController();
  let closed = false;
  rl.on('SIGINT', () => controller.abort());
  rl.on('close', () => {
    closed = true;
    controller.abort();
  });
  try {
    const answer = await rl.question(`${question} [y/N] `, { signal: controller.signal });
    return /^y(es)?$/i.test(answer.trim());
  } catch (error) {
    if (controller.signal.aborted || closed) {
      process.stderr.write('\n');
      return undefined;
    }
    throw error;
  } finally {
    rl.close();
  }
}
