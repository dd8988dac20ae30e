/** An ARM error response: status plus the `{"error":{code,message,details}}` body Azure sends. */
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
