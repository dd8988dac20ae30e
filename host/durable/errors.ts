/** Errors the task hub throws for requests the Durable extension refuses. */

/**
 * Thrown when starting an instance whose id is Pending or Running, with Azure Storage's message
 * (AzureStorageOrchestrationService.cs:1693, OrchestrationAlreadyExistsException).
 */
export class InstanceExistsError extends Error {
  constructor(
    readonly instanceId: string,
    status: string,
  ) {
    super(`An Orchestration instance with the status ${status} already exists.`);
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
