/**
 * What a resource module works with, in one import: ARM's vocabulary (ids, JSON bodies,
 * locations, etags, paging, the services), routes, the paths of a type, the resource group
 * every resource lives in, and the helpers of tracked resources. (Errors come from
 * arm/errors, the one error factory.)
 */
import type { ArmCall } from '../http/router';

export { checkEtag, checkPreconditions } from '../arm/etag';
export { resourceId, same, validateName } from '../arm/ids';
export { arr, isObject, type JsonObject, mergePatch, obj, str } from '../arm/json';
export { normLocation, requireLocation } from '../arm/location';
export { page } from '../arm/paging';
export type { ArmResult, RequestInfo } from '../arm/request';
export type { ArmServices } from '../arm/services';
export { recordKind, type ResourceRecord, type Stored } from '../arm/store';
export { type ArmCall, type Params, type Route, route } from '../http/router';
export { type ResourceType, RG, SUB, typePaths } from './resource-type';
export * from './scope';
export * from './tracked-resource';

/** A call on one resource: `/subscriptions/{sub}/resourceGroups/{rg}/providers/.../{name}`. */
export type ItemCall = ArmCall<'sub' | 'rg' | 'name'>;
