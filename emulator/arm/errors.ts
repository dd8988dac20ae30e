/**
 * The one error factory: every error the emulator answers to an ARM request is an ArmError,
 * sent as ARM's body `{"error":{"code","message","target"?,"details"}}`, and every ARM error
 * is made here, with Azure's status, code and wording. The rule that raises one lives in the
 * module of the resource it concerns; what the caller reads lives here, in one place.
 */
export interface ArmErrorDetail {
  code: string;
  message: string;
  target?: string;
}

export class ArmError extends Error {
  readonly status: number;
  readonly code: string;
  readonly target: string | undefined;
  readonly details: ArmErrorDetail[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    code: string,
    message: string,
    options: { target?: string; details?: ArmErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ArmError';
    this.status = status;
    this.code = code;
    this.target = options.target;
    this.details = options.details ?? [];
    this.headers = options.headers ?? {};
  }

  toBody(): {
    error: { code: string; message: string; target?: string; details: ArmErrorDetail[] };
  } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.target !== undefined ? { target: this.target } : {}),
        details: this.details,
      },
    };
  }
}

const NOT_FOUND_HELP = 'For more details please go to https://aka.ms/ARMResourceNotFoundFix';
const REFERENCE_HELP =
  'Please make sure that the referenced resource exists, and that both resources are in the same region.';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ------------------------------------------------------------------ the front door

export function authenticationFailed(): ArmError {
  return new ArmError(
    401,
    'AuthenticationFailed',
    "Authentication failed. The 'Authorization' header is missing or is not a Bearer token.",
    {
      headers: {
        'WWW-Authenticate':
          'Bearer authorization_uri="https://login.microsoftonline.com/common", error="invalid_token", error_description="The authentication failed because of missing \'Authorization\' header."',
      },
    },
  );
}

export function missingApiVersion(): ArmError {
  return new ArmError(
    400,
    'MissingApiVersionParameter',
    'The api-version query parameter (?api-version=) is required for all requests.',
  );
}

export function noRegisteredProvider(
  namespace: string,
  type: string,
  apiVersion: string,
): ArmError {
  return new ArmError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location 'westus2' and API version '${apiVersion}' for type '${type}' in namespace '${namespace}'.`,
  );
}

export function invalidResourceType(
  namespace: string,
  type: string,
  apiVersion: string,
  method?: string,
): ArmError {
  return new ArmError(
    404,
    'InvalidResourceType',
    `The resource type '${type}' could not be found in the namespace '${namespace}' for api version '${apiVersion}'${method !== undefined ? ` and method ${method}` : ''}.`,
  );
}

export function noArmRoute(method: string, path: string): ArmError {
  return new ArmError(404, 'NotFound', `No ARM route for ${method} ${path}.`);
}

export function throttled(
  kind: string,
  subscriptionId: string,
  principal: string,
  retryAfterMs: number,
): ArmError {
  return new ArmError(
    429,
    'SubscriptionRequestsThrottled',
    `Number of '${kind.slice(0, -1)}' requests for subscription '${subscriptionId}' actor '${principal}' exceeded. Please try again after '${Math.ceil(retryAfterMs / 1000)}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
  );
}

/** The error an `http` fault answers with: its code, or the usual one for its status. */
export function injectedFault(status: number, code?: string, message?: string): ArmError {
  const chosen = code ?? defaultCode(status);
  return new ArmError(status, chosen, message ?? `Injected fault: ${chosen}.`);
}

function defaultCode(status: number): string {
  if (status === 429) return 'TooManyRequests';
  if (status === 503) return 'ServiceUnavailable';
  if (status === 502) return 'BadGateway';
  if (status === 409) return 'Conflict';
  if (status >= 500) return 'InternalServerError';
  return 'BadRequest';
}

export function internalError(error: unknown): ArmError {
  return new ArmError(500, 'InternalServerError', `The emulator failed: ${String(error)}`);
}

// ------------------------------------------------------------------ request content

export function requestTooLarge(maxBytes: number): ArmError {
  return new ArmError(
    413,
    'RequestEntityTooLarge',
    `The request content size exceeds the maximum of ${maxBytes} bytes.`,
  );
}

export function unreadableRequest(): ArmError {
  return new ArmError(400, 'InvalidRequestContent', 'The request body could not be read.');
}

export function invalidRequestContent(error: unknown): ArmError {
  return new ArmError(
    400,
    'InvalidRequestContent',
    `The request content was invalid and could not be deserialized: '${describe(error)}'.`,
  );
}

export function invalidRequestFormat(message: string): ArmError {
  return new ArmError(400, 'InvalidRequestFormat', message);
}

export function invalidParameter(message: string, target?: string): ArmError {
  return new ArmError(400, 'InvalidParameter', message, target !== undefined ? { target } : {});
}

export function invalidFilter(filter: string): ArmError {
  return new ArmError(
    400,
    'InvalidFilter',
    `The $filter '${filter}' is not supported. Supported: location eq '<location>'.`,
  );
}

export function locationRequired(): ArmError {
  return new ArmError(
    400,
    'LocationRequired',
    'The location property is required for this definition.',
  );
}

export function invalidName(
  kind: 'resourceGroup' | 'resource',
  name: string,
  rule: string,
): ArmError {
  return kind === 'resourceGroup'
    ? new ArmError(
        400,
        'InvalidResourceGroup',
        `The provided resource group name '${name}' has these invalid characters or length. ${rule}`,
      )
    : new ArmError(400, 'InvalidResourceName', `Resource name ${name} is invalid. ${rule}`);
}

export function propertyChangeNotAllowed(property: string): ArmError {
  return new ArmError(
    409,
    'PropertyChangeNotAllowed',
    `Changing property '${property}' is not allowed.`,
    { target: property },
  );
}

// ------------------------------------------------------------------ resources

/**
 * ARM's own 404s for a scope that does not exist, answered by its gateway before any resource
 * provider (`x-ms-failure-cause: gateway`, as recorded in cloud-custodian's cassette
 * DeploymentUnitsTest.test_app_service_plan_autoscale). Wording as Azure sends it:
 * azure-cli #33657 and PR #30164, AzureStorageExplorer #5298 (SubscriptionNotFound);
 * cloud-custodian PR #3885, skyplane #409 (ResourceGroupNotFound).
 */
const GATEWAY = { 'x-ms-failure-cause': 'gateway' };

export function subscriptionNotFound(subscriptionId: string): ArmError {
  return new ArmError(
    404,
    'SubscriptionNotFound',
    `The subscription '${subscriptionId}' could not be found.`,
    { headers: GATEWAY },
  );
}

export function resourceGroupNotFound(name: string): ArmError {
  return new ArmError(
    404,
    'ResourceGroupNotFound',
    `Resource group '${name}' could not be found.`,
    {
      headers: GATEWAY,
    },
  );
}

export function invalidResourceGroupLocation(
  location: string,
  existingLocation: string,
  group: string,
): ArmError {
  return new ArmError(
    409,
    'InvalidResourceGroupLocation',
    `Invalid resource group location '${location}'. The Resource group already exists in location '${existingLocation}' in resource group '${group}'. A resource group cannot change location.`,
  );
}

export function resourceNotFound(type: string, name: string, resourceGroup: string): ArmError {
  return new ArmError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. ${NOT_FOUND_HELP}`,
  );
}

export function notFound(message: string, target?: string): ArmError {
  return new ArmError(404, 'NotFound', message, target !== undefined ? { target } : {});
}

/** A reference in the body to a resource that does not exist. */
export function invalidResourceReference(id: string, referencedBy: string): ArmError {
  return new ArmError(
    400,
    'InvalidResourceReference',
    `Resource ${id} referenced by resource ${referencedBy} was not found. ${REFERENCE_HELP}`,
  );
}

export function preconditionFailed(message: string): ArmError {
  return new ArmError(412, 'PreconditionFailed', message);
}

export function staleEtag(ifMatch: string, current: string, id: string): ArmError {
  return preconditionFailed(
    `Precondition failed: the etag ${ifMatch} in If-Match does not match the current etag ${current} of ${id}. Read the resource again and retry.`,
  );
}

// ------------------------------------------------------------------ long-running operations

/** A failed operation's result, as its Location URL answers it. */
export function operationFailed(error: { code: string; message: string }): ArmError {
  const allocation = [
    'AllocationFailed',
    'OverconstrainedAllocationRequest',
    'ZonalAllocationFailed',
  ];
  return new ArmError(allocation.includes(error.code) ? 409 : 500, error.code, error.message);
}

// ------------------------------------------------------------------ compute

export function vmBusy(operation: string, vmName: string, busyWith: string): ArmError {
  return new ArmError(
    409,
    'OperationNotAllowed',
    `Operation '${operation}' is not allowed on VM '${vmName}' since the VM is marked for '${busyWith}'. Retry after the operation completes.`,
  );
}

export function vmDeallocatedForPowerOff(vmName: string): ArmError {
  return new ArmError(
    409,
    'OperationNotAllowed',
    `Operation 'powerOff' is not allowed on VM '${vmName}' since the VM is either deallocated or marked to be deallocated.`,
  );
}

export function vmNotRunningForRestart(vmName: string): ArmError {
  return new ArmError(
    409,
    'OperationNotAllowed',
    `Operation 'restart' is not allowed on VM '${vmName}' since the VM is not running. Start the VM instead.`,
  );
}

export function ephemeralOsDiskDeallocate(): ArmError {
  return new ArmError(
    400,
    'OperationNotAllowed',
    `Operation 'deallocate' is not supported for VMs or VM Scale Set instances using an ephemeral OS disk.`,
  );
}

export function skuNotAvailable(size: string, location: string): ArmError {
  return new ArmError(
    409,
    'SkuNotAvailable',
    `The requested VM size for resource 'Following SKUs have failed for Capacity Restrictions: ${size}' is currently not available in location '${location}'. Please try another size or deploy to a different location or different zone. See https://aka.ms/azureskunotavailable for details.`,
  );
}

export function acceleratedNetworkingNotPermitted(
  size: string,
  nicId: string,
  vmName: string,
): ArmError {
  return new ArmError(
    400,
    'VMSizeIsNotPermittedToEnableAcceleratedNetworking',
    `Virtual Machine size ${size} is not in the allowed list of VM sizes for accelerated networking to be enabled on Network Interface ${nicId} of virtual machine ${vmName}. Use a size whose AcceleratedNetworkingEnabled capability is True (Resource SKUs API).`,
  );
}

export function availabilitySetNotOnAcceleratedCluster(
  vmName: string,
  setName: string,
  otherVmName: string,
): ArmError {
  return new ArmError(
    400,
    'ExistingAvailabilitySetWasNotDeployedOnAcceleratedNetworkingEnabledCluster',
    `Cannot start or create VM '${vmName}' with Accelerated Networking in availability set '${setName}': the set was deployed on a cluster without Accelerated Networking and VM '${otherVmName}' of the set is allocated without it. Deallocate every VM of the availability set, enable Accelerated Networking on their network interfaces, then start them.`,
  );
}

// ------------------------------------------------------------------ network

export function nicAttachedElsewhere(nicId: string, vmId: string): ArmError {
  return new ArmError(
    400,
    'NicInUse',
    `Network interface ${nicId} is used by existing resource ${vmId}. A network interface can be attached to one virtual machine only.`,
  );
}

export function nicInUse(nicId: string, vmId: string): ArmError {
  return new ArmError(
    400,
    'NicInUse',
    `Network Interface ${nicId} is used by existing resource ${vmId}. In order to delete the network interface, it must be dissociated from the resource. To learn more, see aka.ms/deletenic.`,
  );
}

export function anotherOperationInProgress(nicName: string): ArmError {
  return new ArmError(
    429,
    'RetryableErrorDueToAnotherOperation',
    `Operation on network interface ${nicName} was not performed because another operation is in progress on the resource. Retry the operation.`,
    { headers: { 'Retry-After': '1' } },
  );
}

export function ipConfigDeleteNotSupported(ipConfiguration: string, nicId: string): ArmError {
  return new ArmError(
    400,
    'IpConfigDeleteNotSupported',
    `IP Configuration ${ipConfiguration} is in use by Network Interface ${nicId} and cannot be deleted. Deletion and renaming of primary IP Configuration is not supported. Send the whole network interface, with every IP configuration, on PUT.`,
  );
}

export function nicWithoutIpConfiguration(nicId: string): ArmError {
  return new ArmError(
    400,
    'NetworkInterfaceMustHaveAtLeastOneIpConfiguration',
    `Network interface ${nicId} must have at least one IP configuration.`,
  );
}

export function invalidAddressPrefix(message: string): ArmError {
  return new ArmError(400, 'InvalidAddressPrefix', message);
}

export function standardSkuMustBeStatic(publicIpId: string): ArmError {
  return new ArmError(
    400,
    'StandardSkuPublicIPAddressesMustBeStatic',
    `Standard sku publicIp ${publicIpId} must have AllocationMethod set to Static.`,
  );
}
