/** Who asked, and how: what a resource handler needs of the HTTP request. */
export interface RequestInfo {
  principal: string;
  method: string;
  /** Full request URL as the client sent it. */
  url: string;
  /** scheme://host:port of this emulator, for operation URLs and nextLinks. */
  baseUrl: string;
  apiVersion: string;
  clientRequestId: string;
  correlationId: string;
  clientIp: string;
  ifMatch: string | undefined;
  ifNoneMatch: string | undefined;
  /** Set when an `lro-failed` fault fired for this request: the operation it starts ends Failed. */
  lroFailure: { code: string; message: string } | undefined;
  /** Set when this request started an operation that `lroFailure` will fail. */
  lroFailureScheduled?: boolean;
}

/** A handler's answer: status, JSON body (none for an empty one) and extra headers. */
export interface ArmResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}
