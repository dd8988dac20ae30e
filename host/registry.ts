/**
 * Loads a function app the way the Node worker does (requiring its entry with
 * `@azure/functions-core` provided) and invokes its functions through the programming model
 * `@azure/functions` registered, so handlers receive the same `HttpRequest` and
 * `InvocationContext` objects as in Azure.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { types } from 'node:util';

import {
  appModuleFiles,
  type CoreFunctionMetadata,
  type CoreHandler,
  type CoreHookCallback,
  type CoreInvocationContext,
  currentProgrammingModel,
  installCoreModule,
  installTypeScriptLoader,
  nativeModule,
  type RpcBindingInfo,
  type RpcInvocationResponse,
  type RpcTypedData,
  withRegistrationSink,
} from './core';

/** Route, methods and key level of an HTTP trigger. */
export interface HttpTriggerInfo {
  route: string;
  methods: string[];
  authLevel: string;
}

/** One registered function. */
export interface RegisteredFunction {
  name: string;
  triggerType: string;
  triggerBindingName: string;
  bindings: Record<string, RpcBindingInfo>;
  /** Input bindings other than the trigger, e.g. `durableClient`. */
  inputBindings: { name: string; type: string }[];
  http?: HttpTriggerInfo;
  handler: CoreHandler;
}

/** What to pass to one invocation, in RPC form. */
/** Supplies the value of a non-trigger input binding (e.g. the durable client). */
export type InputFor = (binding: { name: string; type: string }) => RpcTypedData | undefined;

export interface InvokeRequest {
  trigger: RpcTypedData | undefined;
  triggerMetadata?: Record<string, RpcTypedData>;
  /** Value of each extra input binding (by binding), e.g. the durable client data. */
  inputFor?: InputFor;
}

/** Log lines an app writes through `context.log` and `@azure/functions`' system log. */
export type AppLogHandler = (
  entry: { functionName?: string; invocationId?: string; level: string; category: string },
  message: string,
) => void;

/** The functions an app registered, with a way to invoke each. */
export interface Registry {
  readonly entry: string;
  readonly functions: ReadonlyMap<string, RegisteredFunction>;
  get(name: string): RegisteredFunction | undefined;
  invoke(name: string, request: InvokeRequest): Promise<RpcInvocationResponse>;
  /** Runs the app's `appStart` hooks. */
  start(): Promise<void>;
  /** Runs the app's `appTerminate` hooks. */
  terminate(): Promise<void>;
  onLog(handler: AppLogHandler): void;
}

/** Loads the app whose entry module is `entryModulePath` (package.json `main`). */
export function loadApp(entryModulePath: string): Promise<Registry> {
  const entry = path.resolve(entryModulePath);
  installCoreModule();
  if (entry.endsWith('.ts')) installTypeScriptLoader();
  const functions = new Map<string, RegisteredFunction>();
  const hooks = new Map<string, Set<CoreHookCallback>>();
  let logHandler: AppLogHandler = () => undefined;

  // Node's own require (not a test runner's), so the core module hook applies.
  const nativeRequire = nativeModule().createRequire(entry);
  const loadedAppModules = appModuleFiles();
  for (const key of loadedAppModules) delete nativeRequire.cache[key];
  const before = new Set(Object.keys(nativeRequire.cache));
  withRegistrationSink(
    {
      onFunction: (metadata, handler) => {
        if (functions.has(metadata.name)) {
          throw new Error(`function "${metadata.name}" is registered twice`);
        }
        functions.set(metadata.name, describe(metadata, handler));
      },
      onHook: (hookName, callback) => {
        const set = hooks.get(hookName) ?? new Set<CoreHookCallback>();
        hooks.set(hookName, set);
        set.add(callback);
        return () => set.delete(callback);
      },
      onLog: (level, category, message) => logHandler({ level, category }, message),
    },
    (): unknown => nativeRequire(entry),
  );
  for (const key of Object.keys(nativeRequire.cache)) {
    if (!before.has(key) && !key.includes(`${path.sep}node_modules${path.sep}`)) {
      loadedAppModules.add(key);
    }
  }

  const runHooks = async (name: string, context: Record<string, unknown>): Promise<void> => {
    for (const hook of hooks.get(name) ?? []) await hook(context);
  };
  const appHookData: Record<string, unknown> = {};

  const invoke = async (name: string, request: InvokeRequest): Promise<RpcInvocationResponse> => {
    const fn = functions.get(name);
    if (!fn) throw new Error(`no function named "${name}"`);
    const model = currentProgrammingModel();
    if (!model) throw new Error('the app did not set a programming model');
    const invocationId = randomUUID();
    const inputData: CoreInvocationContext['request']['inputData'] = [
      { name: fn.triggerBindingName, data: request.trigger },
    ];
    for (const binding of fn.inputBindings) {
      inputData.push({ name: binding.name, data: request.inputFor?.(binding) });
    }
    const coreCtx: CoreInvocationContext = {
      invocationId,
      request: {
        invocationId,
        functionId: name,
        inputData,
        triggerMetadata: request.triggerMetadata ?? {},
      },
      metadata: { name, bindings: fn.bindings },
      log: (level, category, message) =>
        logHandler({ functionName: name, invocationId, level, category }, message),
    };
    const invocation = model.getInvocationModel(coreCtx);
    const { context, inputs } = await invocation.getArguments();
    const hookData: Record<string, unknown> = {};
    const pre: Record<string, unknown> = {
      invocationContext: context,
      inputs,
      functionCallback: fn.handler,
      hookData,
      appHookData,
    };
    coreCtx.state = 'preInvocationHooks';
    await runHooks('preInvocation', pre);
    coreCtx.state = 'invocation';
    const finalInputs = Array.isArray(pre.inputs) ? (pre.inputs as unknown[]) : inputs;
    const handler =
      typeof pre.functionCallback === 'function'
        ? (pre.functionCallback as CoreHandler)
        : fn.handler;
    const post: Record<string, unknown> = {
      invocationContext: context,
      inputs: finalInputs,
      hookData,
      appHookData,
    };
    try {
      post.result = await invocation.invokeFunction(context, finalInputs, handler);
    } catch (err) {
      post.error = err;
    }
    coreCtx.state = 'postInvocationHooks';
    await runHooks('postInvocation', post);
    coreCtx.state = undefined;
    // The app may live in another realm (under jest): instanceof Error would miss its errors.
    if (types.isNativeError(post.error)) throw post.error;
    if (post.error !== undefined && post.error !== null)
      throw new Error(typeof post.error === 'string' ? post.error : JSON.stringify(post.error));
    return invocation.getResponse(context, post.result);
  };

  const registry: Registry = {
    entry,
    functions,
    get: (name) => functions.get(name),
    invoke,
    start: () =>
      runHooks('appStart', { hookData: appHookData, functionAppDirectory: path.dirname(entry) }),
    terminate: () => runHooks('appTerminate', { hookData: appHookData }),
    onLog: (handler) => {
      logHandler = handler;
    },
  };
  return Promise.resolve(registry);
}

function describe(metadata: CoreFunctionMetadata, handler: CoreHandler): RegisteredFunction {
  const entries = Object.entries(metadata.bindings);
  const trigger = entries.find(([, b]) => /trigger$/i.test(b.type));
  if (!trigger) throw new Error(`function "${metadata.name}" has no trigger binding`);
  const [triggerBindingName, triggerBinding] = trigger;
  const inputBindings = entries
    .filter(([name, b]) => name !== triggerBindingName && b.direction === 'in')
    .map(([name, b]) => ({ name, type: b.type }));
  const fn: RegisteredFunction = {
    name: metadata.name,
    triggerType: triggerBinding.type,
    triggerBindingName,
    bindings: metadata.bindings,
    inputBindings,
    handler,
  };
  if (triggerBinding.type.toLowerCase() === 'httptrigger') {
    const route = typeof triggerBinding.route === 'string' ? triggerBinding.route : metadata.name;
    const methods = Array.isArray(triggerBinding.methods)
      ? triggerBinding.methods.map((m) => String(m).toUpperCase())
      : ['GET', 'POST'];
    const authLevel =
      typeof triggerBinding.authLevel === 'string'
        ? triggerBinding.authLevel.toLowerCase()
        : 'function';
    fn.http = { route: route.replace(/^\/+|\/+$/g, ''), methods, authLevel };
  }
  return fn;
}
