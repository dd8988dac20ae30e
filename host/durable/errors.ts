/** Errors the task hub throws for requests the Durable extension refuses. */

/** Thrown when starting an instance whose id is Pending or Running. */
export class InstanceExistsError extends Error {
  constructor(instanceId: string) {
    super(`An orchestration with instance ID '${instanceId}' already exists and is running.`);
    this.name = 'InstanceExistsError';
  }
}

/** Thrown when starting an orchestrator the app did not register. */
export class UnknownOrchestratorError extends Error {
  constructor(name: string) {
    super(`The function '${name}' doesn't exist or is not an orchestrator function.`);
    this.name = 'UnknownOrchestratorError';
  }
}

/** Thrown for an argument the extension refuses (answered 400, as its ArgumentException is). */
export class InvalidArgumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidArgumentError';
  }
}
