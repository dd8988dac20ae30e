import { randomUUID } from 'node:crypto';

import { resourceNotFound } from '../arm/errors';
import { same } from '../arm/ids';
import { isObject, type JsonObject } from '../arm/json';
import { normLocation, requireLocation } from '../arm/location';
import type { ArmResult, RequestInfo } from '../arm/request';
import type { ArmServices } from '../arm/services';
import { type RecordKind, recordKind, type ResourceRecord } from '../arm/store';
import { type ArmCall, type Route, route } from '../http/router';
import { typePaths } from './resource-type';
import { findInGroup, type ListCall, listInScope, listRoutes, putTarget } from './scope';

/**
 * A resource whose state is its JSON (virtual networks, public IP addresses, availability
 * sets, disks), and what such types share: the stored record, its JSON, the 404, GET and the
 * two lists, and the answer to a PUT.
 */
export interface TrackedResource extends ResourceRecord {
  type: string;
  properties: JsonObject;
  sku: JsonObject | undefined;
  etag: string;
}

/** The collection of a tracked resource type (one per type, named by it). */
export function trackedKind(type: string): RecordKind<TrackedResource> {
  return recordKind<TrackedResource>(type);
}

export type ToJson = (resource: TrackedResource) => JsonObject;

/** The resource as ARM answers it; an availability set lists its `members` (the VMs in it). */
export function trackedJson(resource: TrackedResource, members?: JsonObject[]): JsonObject {
  const { lastAddress: _internal, ...properties } = resource.properties;
  return {
    name: resource.name,
    id: resource.id,
    ...(resource.type.startsWith('Microsoft.Network') ? { etag: resource.etag } : {}),
    type: resource.type,
    location: resource.location,
    ...(resource.tags ? { tags: resource.tags } : {}),
    ...(resource.sku ? { sku: resource.sku } : {}),
    properties: { ...properties, ...(members ? { virtualMachines: members } : {}) },
  };
}

/** The resource a request names (404 ResourceNotFound). */
export function requireTracked(
  arm: ArmServices,
  type: string,
  at: { sub: string; rg: string; name: string },
): TrackedResource {
  const resource = findInGroup(arm, arm.store.of(trackedKind(type)), type, at);
  if (!resource || !same(resource.type, type)) throw resourceNotFound(type, at.name, at.rg);
  return resource;
}

/** A child resource (a subnet, an IP configuration) as its parent carries it. */
export function childJson(
  parent: { id: string; type: string },
  child: string,
  name: string,
  properties: JsonObject,
): JsonObject {
  return {
    name,
    id: `${parent.id}/${child}/${name}`,
    etag: `W/"${randomUUID()}"`,
    type: `${parent.type}/${child}`,
    properties,
  };
}

/** GET of one resource and (unless `lists` is false) the lists by subscription and by group. */
export function readRoutes(
  arm: ArmServices,
  type: string,
  { toJson = (r) => trackedJson(r), lists = true }: { toJson?: ToJson; lists?: boolean } = {},
): Route[] {
  const paths = typePaths(type);
  const list = (call: ListCall): ArmResult =>
    listInScope(arm, call, arm.store.of(trackedKind(type)).values(), toJson);
  const get = route('GET', paths.item, `${type}/read`, ({ params }) => ({
    status: 200,
    body: toJson(requireTracked(arm, type, params)),
  }));
  if (!lists) return [get];
  return [get, ...listRoutes(type, list)];
}

/**
 * The PUT of a tracked resource: the group exists, the name follows `nameRule`, the body has
 * a location; `properties` checks the body and builds the stored properties, given the
 * resource it replaces and the id. An existing resource keeps its id, name and location.
 */
export function putTracked(
  arm: ArmServices,
  call: ArmCall<'sub' | 'rg' | 'name'>,
  type: string,
  nameRule: string,
  properties: (existing: TrackedResource | undefined, id: string) => JsonObject,
): { resource: TrackedResource; existing: TrackedResource | undefined } {
  const { params: p, body } = call;
  const collection = arm.store.of(trackedKind(type));
  const { group, id, existing } = putTarget(arm, collection, type, nameRule, p);
  const location = requireLocation(body);
  const resource = collection.set({
    id: existing?.id ?? id,
    subscriptionId: p.sub,
    resourceGroup: group.name,
    name: existing?.name ?? p.name,
    location: normLocation(existing?.location ?? location),
    type,
    tags: isObject(body.tags) ? body.tags : undefined,
    sku: isObject(body.sku) ? body.sku : undefined,
    etag: `W/"${randomUUID()}"`,
    properties: properties(existing, id),
  });
  return { resource, existing };
}

/**
 * The answer to a network PUT that takes no time: the event, and an Azure-AsyncOperation
 * URL whose operation has already succeeded.
 */
export function networkWriteDone(
  arm: ArmServices,
  resource: TrackedResource,
  existing: TrackedResource | undefined,
  req: RequestInfo,
): ArmResult {
  arm.activity.emit(req, 'Write', `${resource.type}/write`, resource);
  return {
    status: existing ? 200 : 201,
    body: trackedJson(resource),
    headers: {
      'Azure-AsyncOperation': arm.operations.completed(
        'Microsoft.Network',
        resource.location,
        req,
        resource.subscriptionId,
      ),
    },
  };
}
