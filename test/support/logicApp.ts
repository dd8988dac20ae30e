/**
 * Plays the approval Logic App (infra/logic-app-approval.json) as Azure Logic Apps would run
 * it, with a person's answer standing in for the Office 365 approval email: the trigger checks
 * the posted body against its schema, the email action offers its Options, the Condition's
 * expression is evaluated, and the chosen branch's HTTP action is really sent.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface WorkflowDefinition {
  triggers: Record<string, JsonObject>;
  actions: Record<string, JsonObject>;
}

export function loadApprovalWorkflow(): WorkflowDefinition {
  const file = path.join(__dirname, '..', '..', 'infra', 'logic-app-approval.json');
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  const definition = (isObject(parsed.definition)
    ? parsed.definition
    : parsed) as unknown as WorkflowDefinition;
  return definition;
}

/** What the person does with the approval email. */
export type Answer = 'Approve' | 'Reject' | 'no answer';

export interface ActionRun {
  name: string;
  status: 'Succeeded' | 'Failed' | 'TimedOut' | 'Skipped';
  method?: string;
  uri?: string;
  httpStatus?: number;
  body?: unknown;
}

export interface WorkflowRun {
  actions: ActionRun[];
  /** The email the person received. */
  email: { subject: string; options: string[] };
}

const text = (value: Json | undefined, fallback = ''): string =>
  typeof value === 'string' ? value : fallback;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks a body against the trigger's JSON schema: required fields and their types. */
export function checkTriggerBody(definition: WorkflowDefinition, body: unknown): string[] {
  const trigger = definition.triggers.manual;
  if (!trigger) return ['the workflow has no trigger named manual'];
  const inputs = trigger.inputs as JsonObject | undefined;
  const schema = inputs?.schema as JsonObject | undefined;
  if (!isObject(body)) return ['the body is not an object'];
  const problems: string[] = [];
  const required = Array.isArray(schema?.required) ? (schema.required as string[]) : [];
  const properties = (schema?.properties ?? {}) as Record<string, JsonObject>;
  for (const name of required) if (!(name in body)) problems.push(`${name} is missing`);
  for (const [name, spec] of Object.entries(properties)) {
    if (!(name in body) || typeof spec.type !== 'string') continue;
    const value = body[name];
    const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
    if (actual !== spec.type) problems.push(`${name} is ${actual}, not ${spec.type}`);
  }
  return problems;
}

interface Scope {
  triggerBody: unknown;
  outputs: Record<string, unknown>;
}

/** Workflow Definition Language: the subset the approval workflow uses. */
export function evaluate(expression: string, scope: Scope): unknown {
  if (!expression.startsWith('@')) return expression;
  if (expression.startsWith('@{')) return interpolate(expression, scope);
  const parser = new ExpressionParser(expression.slice(1), scope);
  const value = parser.parse();
  return value;
}

function interpolate(text: string, scope: Scope): string {
  return text.replace(/@\{([^}]*)\}/g, (_m, inner: string) => {
    const value = new ExpressionParser(inner, scope).parse();
    return typeof value === 'string' ? value : JSON.stringify(value);
  });
}

class ExpressionParser {
  private pos = 0;
  constructor(
    private readonly text: string,
    private readonly scope: Scope,
  ) {}

  parse(): unknown {
    const value = this.value();
    this.space();
    if (this.pos !== this.text.length)
      throw new Error(`unexpected '${this.text.slice(this.pos)}' in @${this.text}`);
    return value;
  }

  private space(): void {
    while (this.text[this.pos] === ' ') this.pos += 1;
  }

  private value(): unknown {
    this.space();
    let value: unknown;
    if (this.text[this.pos] === "'") value = this.string();
    else if (/[0-9]/.test(this.text[this.pos] ?? '')) value = this.number();
    else value = this.call();
    // Accessors: ['x'] and ?['x'].
    for (;;) {
      this.space();
      const safe = this.text.startsWith("?['", this.pos);
      if (!safe && !this.text.startsWith("['", this.pos)) break;
      this.pos += safe ? 1 : 0;
      this.pos += 1;
      const key = this.string();
      this.expect(']');
      value = isObject(value) ? value[key] : undefined;
      if (value === undefined && !safe) throw new Error(`no property '${key}'`);
    }
    return value;
  }

  private string(): string {
    this.expect("'");
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos] ?? '';
      if (ch === "'" && this.text[this.pos + 1] === "'") {
        out += "'";
        this.pos += 2;
        continue;
      }
      if (ch === "'") break;
      out += ch;
      this.pos += 1;
    }
    this.expect("'");
    return out;
  }

  private number(): number {
    const match = /^[0-9.]+/.exec(this.text.slice(this.pos));
    this.pos += match?.[0].length ?? 0;
    return Number(match?.[0]);
  }

  private call(): unknown {
    const match = /^[A-Za-z]+/.exec(this.text.slice(this.pos));
    if (!match) throw new Error(`expected a function at '${this.text.slice(this.pos)}'`);
    const name = match[0];
    this.pos += name.length;
    this.expect('(');
    const args: unknown[] = [];
    this.space();
    if (this.text[this.pos] !== ')') {
      for (;;) {
        args.push(this.value());
        this.space();
        if (this.text[this.pos] === ',') {
          this.pos += 1;
          continue;
        }
        break;
      }
    }
    this.expect(')');
    switch (name) {
      case 'triggerBody':
        return this.scope.triggerBody;
      case 'body':
      case 'outputs':
        return this.scope.outputs[String(args[0])];
      case 'equals':
        return args[0] === args[1];
      case 'string':
        return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
      case 'concat':
        return args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join('');
      case 'listCallbackUrl':
        return 'https://logic-app.example/callback';
      default:
        throw new Error(`the player does not know the function ${name}()`);
    }
  }

  private expect(ch: string): void {
    this.space();
    if (this.text[this.pos] !== ch)
      throw new Error(`expected '${ch}' at '${this.text.slice(this.pos)}' in @${this.text}`);
    this.pos += 1;
  }
}

/** The Condition's expression, in either form the designer writes. */
function condition(expression: Json | undefined, scope: Scope): boolean {
  if (typeof expression === 'string') return evaluate(expression, scope) === true;
  if (isObject(expression)) {
    if (Array.isArray(expression.and))
      return expression.and.every((part) => condition(part, scope));
    if (Array.isArray(expression.or)) return expression.or.some((part) => condition(part, scope));
    if (Array.isArray(expression.equals)) {
      const [a, b] = expression.equals.map((part) =>
        typeof part === 'string' ? evaluate(part, scope) : part,
      );
      return a === b;
    }
  }
  throw new Error(`the player does not know the condition ${JSON.stringify(expression)}`);
}

function ready(action: JsonObject, statuses: Map<string, ActionRun['status']>): boolean {
  const runAfter = (action.runAfter ?? {}) as Record<string, string[]>;
  return Object.entries(runAfter).every(([name, wanted]) => {
    const status = statuses.get(name);
    return status !== undefined && wanted.includes(status);
  });
}

/**
 * Runs the workflow for one posted request: the person answers the email (or never does,
 * and the email action times out), then the actions whose runAfter is met run in order.
 */
export async function playApprovalWorkflow(
  definition: WorkflowDefinition,
  triggerBody: unknown,
  answer: Answer,
): Promise<WorkflowRun> {
  const problems = checkTriggerBody(definition, triggerBody);
  if (problems.length > 0) throw new Error(`the trigger refuses the body: ${problems.join('; ')}`);
  const scope: Scope = { triggerBody, outputs: {} };
  const statuses = new Map<string, ActionRun['status']>();
  const runs: ActionRun[] = [];
  let email: WorkflowRun['email'] = { subject: '', options: [] };

  const runAction = async (name: string, action: JsonObject): Promise<void> => {
    const type = text(action.type);
    const inputs = (action.inputs ?? {}) as JsonObject;
    if (type === 'ApiConnectionWebhook') {
      const message = ((inputs.body as JsonObject | undefined)?.Message ?? {}) as JsonObject;
      const options = text(message.Options)
        .split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '');
      email = {
        subject: typeof message.Subject === 'string' ? interpolate(message.Subject, scope) : '',
        options,
      };
      if (answer === 'no answer') {
        statuses.set(name, 'TimedOut');
        runs.push({ name, status: 'TimedOut' });
        return;
      }
      if (!options.includes(answer))
        throw new Error(`the email offers ${options.join(', ')}, not ${answer}`);
      scope.outputs[name] = { SelectedOption: answer, UserEmailAddress: 'approver@example.com' };
      statuses.set(name, 'Succeeded');
      runs.push({ name, status: 'Succeeded', body: scope.outputs[name] });
      return;
    }
    if (type === 'If') {
      const branch = condition(action.expression, scope)
        ? ((action.actions ?? {}) as Record<string, JsonObject>)
        : ((((action.else ?? {}) as JsonObject).actions ?? {}) as Record<string, JsonObject>);
      statuses.set(name, 'Succeeded');
      runs.push({ name, status: 'Succeeded' });
      await runScope(branch);
      return;
    }
    if (type === 'Http') {
      const method = text(inputs.method, 'GET').toUpperCase();
      const uri = evaluate(text(inputs.uri), scope);
      if (typeof uri !== 'string') throw new Error(`${name}: the uri is not a string`);
      const res = await fetch(uri, { method });
      const answered = await res.text();
      const status: ActionRun['status'] = res.ok ? 'Succeeded' : 'Failed';
      statuses.set(name, status);
      runs.push({
        name,
        status,
        method,
        uri,
        httpStatus: res.status,
        body: answered === '' ? undefined : (JSON.parse(answered) as unknown),
      });
      return;
    }
    throw new Error(`the player does not know the action type ${type}`);
  };

  const runScope = async (actions: Record<string, JsonObject>): Promise<void> => {
    const pending = new Map(Object.entries(actions));
    let progressed = true;
    while (pending.size > 0 && progressed) {
      progressed = false;
      for (const [name, action] of pending) {
        if (!ready(action, statuses)) continue;
        pending.delete(name);
        progressed = true;
        await runAction(name, action);
      }
    }
    for (const name of pending.keys()) {
      statuses.set(name, 'Skipped');
      runs.push({ name, status: 'Skipped' });
    }
  };

  await runScope(definition.actions);
  return { actions: runs, email };
}
