import { TableClient } from '@azure/data-tables';

export { odata } from '@azure/data-tables';

/** Azurite and other local endpoints serve Table storage over plain HTTP. */
const LOCAL = /UseDevelopmentStorage=true|127\.0\.0\.1|localhost/i;

/**
 * One Azure Table as every store uses it: a client from the storage connection string, and the
 * table created on first use (once; a creation that failed is tried again on the next use).
 * Filters are built with the SDK's `odata` tag, which quotes what it interpolates.
 */
export class Table {
  private ready: Promise<void> | undefined;

  constructor(readonly client: TableClient) {}

  static fromConnectionString(connection: string, tableName: string): Table {
    return new Table(
      TableClient.fromConnectionString(connection, tableName, {
        allowInsecureConnection: LOCAL.test(connection),
      }),
    );
  }

  /** The client, once the table exists. */
  async open(): Promise<TableClient> {
    this.ready ??= this.client.createTable().catch((error: unknown) => {
      this.ready = undefined;
      throw error;
    });
    await this.ready;
    return this.client;
  }
}
