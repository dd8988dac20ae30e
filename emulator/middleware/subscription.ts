import { subscriptionNotFound } from '../arm/errors';
import type { Middleware } from '../http/pipeline';

const SUBSCRIPTION = /^\/subscriptions\/([^/]+)/i;

/**
 * A request under `/subscriptions/{id}` for a subscription the emulator has never seen
 * (nothing created or seeded in it) is answered 404 SubscriptionNotFound, as ARM answers for
 * one that does not exist, whatever route it names; a route that opens a subscription (a
 * resource group PUT) goes on.
 */
export function requireKnownSubscription(knows: (subscriptionId: string) => boolean): Middleware {
  return (ctx) => {
    const encoded = SUBSCRIPTION.exec(ctx.url.pathname)?.[1];
    if (encoded === undefined || ctx.match?.route.opensSubscription === true) return;
    let subscriptionId: string;
    try {
      subscriptionId = decodeURIComponent(encoded);
    } catch {
      subscriptionId = encoded;
    }
    if (!knows(subscriptionId)) ctx.fail(subscriptionNotFound(subscriptionId));
  };
}
