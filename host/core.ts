/**
 * The module `@azure/functions-core` as the Node worker provides it to an app: the host
 * installs it into Node's module loader so that `@azure/functions` registers functions with
 * the host instead of switching to test mode.
 */
import Module from 'node:module';

/** A binding as `@azure/functions` describes it in function metadata. */
export interface RpcBindingInfo {
  type: string;
  direction?: 'in' | 'out' | 'inout';
  name?: string;
  [key: string]: unknown;
}

/** Function metadata passed to `registerFunction`. */
export interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, RpcBindingInfo>;
  retryOptions?: unknown;
}

/** A function handler, as registered. */
export type CoreHandler = (...args: unknown[]) => unknown;

/** The RPC typed data the worker exchanges with the host. */
export interface RpcTypedData {
  string?: string;
  json?: string;
  bytes?: Uint8Array;
  int?: number;
  double?: number;
  http?: RpcHttp;
}

/** HTTP request or response data in RPC form. */
export interface RpcHttp {
  method?: string;
  url?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  query?: Record<string, string>;
  statusCode?: string;
  body?: RpcTypedData;
  cookies?: unknown[];
}

/** What the programming model returns for one invocation. */
export interface RpcInvocationResponse {
  invocationId: string;
  outputData?: { name: string; data: RpcTypedData | undefined }[];
  returnValue?: RpcTypedData | null;
}

/** The invocation context the worker hands to the programming model. */
export interface CoreInvocationContext {
  invocationId: string;
  request: {
    invocationId: string;
    functionId: string;
    inputData: { name: string; data: RpcTypedData | undefined }[];
    triggerMetadata: Record<string, RpcTypedData>;
  };
  metadata: CoreFunctionMetadata;
  state?: string;
  log(level: string, category: string, message: string): void;
}

/** `@azure/functions`' per-invocation model. */
export interface CoreInvocationModel {
  getArguments(): Promise<{ context: unknown; inputs: unknown[] }>;
  invokeFunction(context: unknown, inputs: unknown[], handler: CoreHandler): Promise<unknown>;
  getResponse(context: unknown, result: unknown): Promise<RpcInvocationResponse>;
}

/** `@azure/functions`' programming model object. */
export interface CoreProgrammingModel {
  name: string;
  version: string;
  getInvocationModel(coreCtx: CoreInvocationContext): CoreInvocationModel;
}

/** A hook registered with `registerHook` (appStart, preInvocation, postInvocation, ...). */
export type CoreHookCallback = (context: Record<string, unknown>) => unknown;

/** Receives registrations while an app is loading. */
export interface RegistrationSink {
  onFunction(metadata: CoreFunctionMetadata, handler: CoreHandler): void;
  onHook(hookName: string, callback: CoreHookCallback): () => void;
  onLog(level: string, category: string, message: string): void;
}

class Disposable {
  readonly #callback: () => void;
  constructor(callback: () => void) {
    this.#callback = callback;
  }
  dispose(): void {
    this.#callback();
  }
}

/**
 * State shared by every copy of this module in the process. `@azure/functions` keeps the core
 * API it first resolved, and test runners (jest) load a fresh copy of this module per test
 * file: the registration sink must be the one the API sees. It lives on the real `process`.
 */
interface CoreState {
  sink: RegistrationSink | undefined;
  programmingModel: CoreProgrammingModel | undefined;
  installed: boolean;
  /** Files of loaded apps, dropped from Node's cache before an app is loaded again. */
  appModules: Set<string>;
}
const STATE = Symbol.for('accelnet.host.core');
function sharedState(): CoreState {
  const loader = nativeModule() as unknown as {
    _load: (request: string, parent: null, isMain: boolean) => unknown;
  };
  const real = loader._load('process', null, false) as { [STATE]?: CoreState };
  real[STATE] ??= {
    sink: undefined,
    programmingModel: undefined,
    installed: false,
    appModules: new Set(),
  };
  return real[STATE];
}
const state = sharedState();

const coreApi = {
  version: '3.10.1',
  Disposable,
  setProgrammingModel(model: CoreProgrammingModel): void {
    state.programmingModel = model;
  },
  getProgrammingModel(): CoreProgrammingModel | undefined {
    return state.programmingModel;
  },
  registerFunction(metadata: CoreFunctionMetadata, handler: CoreHandler): Disposable {
    if (!state.sink) throw new Error(`function "${metadata.name}" registered outside app loading`);
    state.sink.onFunction(metadata, handler);
    return new Disposable(() => undefined);
  },
  registerHook(hookName: string, callback: CoreHookCallback): Disposable {
    const dispose = state.sink ? state.sink.onHook(hookName, callback) : () => undefined;
    return new Disposable(dispose);
  },
  log(level: string, category: string, message: string): void {
    state.sink?.onLog(level, category, message);
  },
};

type LoadFn = (request: string, parent: unknown, isMain: boolean) => unknown;
interface ModuleInternals {
  _load: LoadFn;
  _extensions: Record<
    string,
    (module: { _compile(code: string, file: string): void }, file: string) => void
  >;
}
/**
 * Node's own module loader. Test runners hand out a subclass of it (whose `createRequire`
 * and statics are their own); the host needs the base class.
 */
export function nativeModule(): typeof Module {
  let current: typeof Module = Module;
  for (;;) {
    const parent = Object.getPrototypeOf(current) as unknown;
    if (typeof parent !== 'function' || !Object.hasOwn(parent, '_extensions')) return current;
    current = parent as typeof Module;
  }
}
const internals = nativeModule() as unknown as ModuleInternals;

/**
 * The environment the app sees. Azure gives app settings to the worker as environment
 * variables; under jest the test's `process.env` is a copy, so this reaches the real one
 * through Node's own loader.
 */
export function appEnvironment(): NodeJS.ProcessEnv {
  const real = internals._load('process', null, false) as NodeJS.Process;
  return real.env;
}

/** Makes `require('@azure/functions-core')` resolve to the host's core API (idempotent). */
export function installCoreModule(): void {
  if (state.installed) return;
  state.installed = true;
  const original = internals._load;
  internals._load = function load(request, parent, isMain) {
    if (request === '@azure/functions-core') return coreApi;
    return original.call(this, request, parent, isMain);
  };
}

/** Routes registrations to `target` while `fn` runs (app loading is synchronous). */
export function withRegistrationSink<T>(target: RegistrationSink, fn: () => T): T {
  const previous = state.sink;
  state.sink = target;
  try {
    return fn();
  } finally {
    state.sink = previous;
  }
}

/** Files of loaded apps, shared by every copy of this module in the process. */
export function appModuleFiles(): Set<string> {
  return state.appModules;
}

/** The programming model `@azure/functions` set, if any. */
export function currentProgrammingModel(): CoreProgrammingModel | undefined {
  return state.programmingModel;
}

/** Lets Node's own `require` load `.ts` files (for TypeScript entries, e.g. test fixtures). */
export function installTypeScriptLoader(): void {
  // Another hook may already be there (jest's transformer leaves one that passes files
  // through untransformed): ours replaces it, once.
  const current = internals._extensions['.ts'] as { accelnet?: boolean } | undefined;
  if (current?.accelnet === true) return;
  const loader = (
    module: Parameters<NonNullable<(typeof internals._extensions)['.js']>>[0],
    file: string,
  ): void => {
    // Node's own require: the loader outlives the (jest) module scope that installed it.
    const nativeRequire = nativeModule().createRequire(__filename);
    const ts = nativeRequire('typescript') as typeof import('typescript');
    const fs = nativeRequire('node:fs') as typeof import('node:fs');
    const source = fs.readFileSync(file, 'utf8');
    const out = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        sourceMap: false,
        inlineSourceMap: true,
      },
    });
    module._compile(out.outputText, file);
  };
  internals._extensions['.ts'] = Object.assign(loader, { accelnet: true });
}
