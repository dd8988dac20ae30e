/**
 * A real terminal for the CLI tests: a command runs in a tmux session (a pseudo-terminal, as
 * a person's shell gives it), keys are typed with send-keys, and the screen is read with
 * capture-pane. tmux comes from Debian's package (.ci/install-tmux installs it).
 */
import { execFileSync } from 'node:child_process';

let sessions = 0;

export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export class Terminal {
  private constructor(
    private readonly socket: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /**
   * Runs `argv` (no shell quoting needed) in a new 220x60 terminal with `env`. When it ends,
   * the terminal shows `EXIT=<status>` and stays open to be read.
   */
  static open(argv: string[], env: NodeJS.ProcessEnv, cwd: string): Terminal {
    sessions += 1;
    const socket = `accelnet-test-${process.pid}-${sessions}`;
    const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const terminal = new Terminal(socket, env);
    terminal.tmux([
      'new-session',
      '-d',
      '-s',
      'cli',
      '-x',
      '220',
      '-y',
      '60',
      '-c',
      cwd,
      `${quoted}; echo "EXIT=$?"; sleep 600`,
    ]);
    return terminal;
  }

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], {
      env: { ...this.env, TERM: 'xterm-256color' },
      encoding: 'utf8',
    });
  }

  /** What the terminal shows now, wrapped lines joined. */
  screen(): string {
    return this.tmux(['capture-pane', '-p', '-J', '-S', '-200', '-t', 'cli']);
  }

  /** Types keys, as send-keys names them (`y`, `Enter`, `C-c`). */
  send(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'cli', ...keys]);
  }

  /** Waits until the screen matches, and returns it. */
  async waitFor(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = this.screen();
      if (pattern.test(text)) return text;
      if (Date.now() > deadline)
        throw new Error(`the terminal never showed ${String(pattern)}; it shows:\n${text}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The exit status the command ended with, once it has. */
  async exitStatus(timeoutMs = 60_000): Promise<number> {
    const text = await this.waitFor(/^EXIT=\d+$/m, timeoutMs);
    return Number(/^EXIT=(\d+)$/m.exec(text)?.[1]);
  }

  close(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
  }
}
