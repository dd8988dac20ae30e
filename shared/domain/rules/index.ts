/**
 * The rules that decide, for one VM, whether accelnet enables Accelerated Networking on it.
 * Pure: no I/O, no clock, no randomness. Sources of each rule are in
 * shared/design/accelerated-networking-facts.md.
 */
export { decide } from './decide';
export { assessOs, type OsAssessment } from './os';
export { assessSize, type SizeAssessment } from './size';
