/**
 * The emulator's Event Grid (see event-grid.ts): subscriptions and their handshake
 * (subscription-spec.ts, handshake.ts), batching and delivery with Event Grid's retry
 * schedule (delivery.ts), and the two schemas events travel in (schemas.ts).
 */
export { EventGrid } from './event-grid';
export { buildResourceEvent, toCloudEvent } from './schemas';
export * from './types';
